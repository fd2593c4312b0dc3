"""The report as a Word document: what a physician pastes into a manuscript.

The tables are real Word tables of the very cells the HTML report and the CSV files print (the
frames of ``followup.report.tables``, laid out by ``docx_tables``), the Results paragraphs and
the Methods are editable text, and the figures are the PNGs already drawn. Nothing here formats
a number. Cells are not passed through ``safe_cell``: Word shows text as text, and a quote
before a negative number would change what is printed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from followup.analysis import StudyResults
from followup.report.docx_tables import MARGIN, PAGE, TABLE_TEXT, add_table, orient, plain
from followup.report.figures import FigureFiles
from followup.report.methods import methods
from followup.report.paragraph import results_paragraphs
from followup.report.tables import Table

FIGURE_WIDTH = Cm(15)
FLOW_WIDTH = Cm(12.5)


def write_docx(
    results: StudyResults,
    figures: Sequence[FigureFiles],
    tables: Sequence[Table],
    path: Path,
    *,
    notes: Sequence[str] = (),
    exclusions: Sequence[str] = (),
    analysis_notes: Sequence[str] = (),
) -> Path:
    """report.docx: heading, notes, Results, patient flow, numbered tables, figures, Methods.

    ``figures`` are those the report wrote, the patient-flow diagram first (as the HTML shows
    them); ``tables`` are ``all_tables``' in order. The patient-flow table stands beside its
    diagram unnumbered, so that the characteristics are Table 1, as in a manuscript.
    """
    document = docx.Document()
    _set_up(document, results)
    document.add_heading(plain(results.study), level=0)
    document.add_paragraph(
        plain(
            f"{results.records} records from {Path(results.source).name}; "
            f"generated {dt.date.today().isoformat()} by Followup."
        )
    )
    if notes:
        _bullets(document, "Notes", notes)
    document.add_heading("Results", level=1)
    for text in results_paragraphs(results):
        document.add_paragraph(plain(text))
    _tables(document, figures[:1], tables)
    _figures(document, figures[1:])
    _bullets(document, "Methods and definitions", methods(results))
    if exclusions:
        _bullets(document, "Records left out of an endpoint", exclusions, level=2)
    if analysis_notes:
        _bullets(document, "Analysis notes", analysis_notes, level=2)
    document.save(str(path))
    return path


def _tables(
    document: Document, flow_figure: Sequence[FigureFiles], tables: Sequence[Table]
) -> None:
    """The patient flow (diagram and counts), then the numbered tables."""
    flow = [t for t in tables if t.name == "patient_flow"]
    numbered = [t for t in tables if t.name != "patient_flow"]
    if flow_figure or flow:
        document.add_heading("Patient flow", level=1)
        for figure in flow_figure:
            document.add_picture(str(figure.png), width=FLOW_WIDTH)
        for table in flow:
            add_table(document, table.title, table.frame)
    if numbered:
        document.add_heading("Tables", level=1)
        for number, table in enumerate(numbered, start=1):
            add_table(document, f"Table {number}. {table.title}", table.frame)
        orient(document, landscape=False)


def _figures(document: Document, figures: Sequence[FigureFiles]) -> None:
    """The survival and incidence figures, numbered as in the HTML, captions beneath."""
    if not figures:
        return
    document.add_heading("Figures", level=1)
    for number, figure in enumerate(figures, start=1):
        document.add_picture(str(figure.png), width=FIGURE_WIDTH)
        document.paragraphs[-1].paragraph_format.keep_with_next = True
        document.add_paragraph(plain(f"Figure {number}. {figure.title}"), style="Caption")


def _set_up(document: Document, results: StudyResults) -> None:
    """A4 portrait, black headings, the table text style, the file's properties."""
    for section in document.sections:
        section.page_width, section.page_height = PAGE
        section.left_margin = section.right_margin = MARGIN
        section.top_margin = section.bottom_margin = MARGIN
    styles = document.styles
    for name in ("Title", "Heading 1", "Heading 2", "Caption"):
        styles[name].font.color.rgb = RGBColor(0, 0, 0)
    title = styles["Title"].element.pPr
    if title is not None:  # the template's coloured rule under the title
        for border in title.findall(qn("w:pBdr")):
            title.remove(border)
    table_text = styles.add_style(TABLE_TEXT, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = styles["Normal"]
    table_text.font.size = Pt(9)
    table_text.paragraph_format.space_before = Pt(1)
    table_text.paragraph_format.space_after = Pt(1)
    properties = document.core_properties
    properties.title = plain(results.study)
    properties.author = properties.last_modified_by = "Followup"
    properties.comments = ""
    properties.created = properties.modified = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _bullets(document: Document, heading: str, lines: Sequence[str], level: int = 1) -> None:
    document.add_heading(heading, level=level)
    for line in lines:
        document.add_paragraph(plain(line), style="List Bullet")
