"""Writing a study's report: results.json, figures, tables, a self-contained HTML, Word, a PDF."""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import jinja2

from followup.analysis import EndpointResult, StudyResults
from followup.analysis.estimates import GroupEstimate
from followup.report.docx import write_docx
from followup.report.figures import FigureFiles, survival_figure, write_figure
from followup.report.flow_diagram import flow_figure
from followup.report.methods import immortal_time_notes, methods
from followup.report.numbers import lowered
from followup.report.paragraph import results_paragraphs
from followup.report.tables import Table, all_tables, write_tables

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ReportFiles:
    """Where everything was written."""

    folder: Path
    html: Path
    pdf: Path | None
    results_json: Path
    figures: tuple[FigureFiles, ...]
    tables: tuple[Table, ...]
    docx: Path


def write_report(
    results: StudyResults,
    folder: str | Path,
    *,
    notes: Sequence[str] = (),
    pdf: bool = True,
    progress: Progress = lambda _: None,
) -> ReportFiles:
    """Everything into ``folder``: report.html, .docx and .pdf, results.json, figures/, tables/."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    progress("results.json")
    results_json = results.write_json(folder / "results.json")
    progress("figures")
    figures = tuple(_figures(results, folder / "figures"))
    progress("tables")
    tables = tuple(write_tables(all_tables(results), folder / "tables"))
    progress("report.html")
    html = render_html(results, figures, tables, notes)
    html_path = folder / "report.html"
    html_path.write_text(html, encoding="utf-8")
    progress("report.docx")
    docx_path = write_docx(
        results,
        figures,
        tables,
        folder / "report.docx",
        notes=notes,
        exclusions=exclusions(results),
        analysis_notes=analysis_notes(results),
    )
    pdf_path = None
    if pdf:
        progress("report.pdf")
        pdf_path = write_pdf(html, folder / "report.pdf")
    return ReportFiles(folder, html_path, pdf_path, results_json, figures, tables, docx_path)


def write_pdf(html: str, path: Path) -> Path:
    """The report's HTML printed to PDF at ``path`` (figures are inline, nothing else is read)."""
    import weasyprint  # a heavy import, only when a PDF is wanted

    weasyprint.HTML(string=html, base_url=str(path.parent)).write_pdf(path)
    return path


def report_html(results: StudyResults, *, notes: Sequence[str] = ()) -> str:
    """The self-contained HTML alone (the web app's report page): figures drawn and inlined."""
    with tempfile.TemporaryDirectory() as scratch:
        figures = _figures(results, Path(scratch))
    return render_html(results, figures, all_tables(results), notes)


def _figures(results: StudyResults, folder: Path) -> list[FigureFiles]:
    written = [write_figure(flow_figure(results.flow), folder, "patient_flow", "Patient flow")]
    for endpoint in results.endpoints:
        written.append(_figure(endpoint, results, folder, None))
        written += [_figure(endpoint, results, folder, k) for k in range(len(endpoint.comparisons))]
    for model in results.models:
        if model.groups:
            figure = survival_figure(
                model.groups,
                title=model.label,
                unit=results.endpoint(model.endpoint).unit,
                y_label="Survival",
                p=model.p,
                test=model.test,
                incidence=False,
            )
            written.append(write_figure(figure, folder, f"model_{model.name}", model.label))
    return written


def _figure(
    endpoint: EndpointResult, results: StudyResults, folder: Path, k: int | None
) -> FigureFiles:
    incidence = endpoint.kind == "incidence"
    y_label = "Cumulative incidence" if incidence else "Survival"
    groups: tuple[GroupEstimate, ...]
    if k is None:
        groups, title, name, p, test = (endpoint.overall,), endpoint.label, endpoint.name, None, ""
    else:
        comparison = endpoint.comparisons[k]
        groups, p, test = comparison.groups, comparison.p, comparison.test
        title, name = (
            f"{endpoint.label} by {lowered(comparison.label)}",
            f"{endpoint.name}_by_{comparison.variable}",
        )
    figure = survival_figure(
        groups,
        title=title,
        unit=endpoint.unit,
        y_label=y_label,
        p=p,
        test=test,
        incidence=incidence,
    )
    return write_figure(figure, folder, name, title)


def _html_table(frame: object) -> str:
    """A table as HTML, styled by the report's CSS alone (no inline style a CSP would block)."""
    html: str = frame.to_html(index=False, border=0, classes="data", na_rep="")  # type: ignore[attr-defined]
    return html.replace(' style="text-align: right;"', "")


def render_html(
    results: StudyResults,
    figures: Sequence[FigureFiles],
    tables: Sequence[Table],
    notes: Sequence[str],
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """The self-contained report: styles and figures inline, no file beside it needed.

    ``links`` (label, address) head the page where the report is shown inside an application:
    the way back, the PDF; the files written for readers have none.
    """
    template_dir = files("followup.report") / "templates"
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["b64"] = lambda text: base64.b64encode(text.encode("utf-8")).decode("ascii")
    environment.filters["html_table"] = _html_table
    template = environment.from_string(
        (template_dir / "report.html.j2").read_text(encoding="utf-8")
    )
    return template.render(
        results=results,
        css=(template_dir / "report.css").read_text(encoding="utf-8"),
        source_name=Path(results.source).name,
        generated=dt.date.today().isoformat(),
        notes=list(notes),
        paragraph=results_paragraphs(results),
        tables=tables,
        figures=figures,
        methods=methods(results),
        exclusions=exclusions(results),
        analysis_notes=analysis_notes(results),
        links=list(links),
    )


def exclusions(results: StudyResults) -> list[str]:
    """Each record left out of an endpoint, and why (the HTML and the Word report list them)."""
    return [
        f"{e.label}: record {x.record} — {x.reason}" for e in results.endpoints for x in e.excluded
    ]


def analysis_notes(results: StudyResults) -> list[str]:
    """What the analysis could not do as planned, and the immortal-time caveats."""
    notes = [f"{f.label}: {f.note}" for f in results.risk_factors if f.note]
    notes += [
        f"{e.label} by {lowered(c.label)}: {c.note}"
        for e in results.endpoints
        for c in e.comparisons
        if c.note
    ]
    notes += [f"{m.label}: {m.note}" for m in results.models if m.note]
    return notes + immortal_time_notes(results)
