"""The report as a reader gets it: every file written, figures drawn, numbers from the results."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pypdfium2
import pytest

from followup.analysis import StudyResults
from followup.report import ReportFiles, results_paragraphs


def test_every_file_is_written(mll03_report: ReportFiles) -> None:
    assert mll03_report.html.stat().st_size > 50_000
    assert mll03_report.pdf is not None
    assert mll03_report.pdf.read_bytes().startswith(b"%PDF")
    for figure in mll03_report.figures:
        assert figure.png.read_bytes().startswith(b"\x89PNG")
        assert figure.svg.read_text().lstrip().startswith("<?xml")
    for table in mll03_report.tables:
        assert table.csv is not None
        assert len(pd.read_csv(table.csv, encoding="utf-8-sig")) == len(table.frame)


def test_html_is_self_contained(mll03_report: ReportFiles) -> None:
    html = mll03_report.html.read_text()
    assert "<script" not in html
    assert not re.search(r'(src|href)="(?!data:|#)', html)  # figures and styles are inline


def test_results_paragraph_states_the_published_figures(
    mll03_report: ReportFiles, mll03_results: StudyResults, published: dict
) -> None:
    paragraph = " ".join(results_paragraphs(mll03_results))
    table = published["overall_survival_after_relapse"]
    for year in ("3y", "4y"):
        wanted = table["all_24"][year]
        assert f"{wanted['estimate']} ± {wanted['se']}% at {year[0]} years" in paragraph
    for group in ("age_under_6_months", "second_sct_in_remission", "second_sct_not_in_remission"):
        assert f"{table[group]['5y']['estimate']} ± {table[group]['5y']['se']}%" in paragraph
    assert f"mean follow-up, {published['cohort']['mean_follow_up_months']} months" in paragraph
    assert f"{published['cohort']['relapsed_after_cr1']} of" in paragraph
    assert "in 3 (12.5%)" in paragraph.replace("before first SCT in 3", "in 3")
    page = mll03_report.html.read_text()
    for text in results_paragraphs(mll03_results):
        assert f'<p class="paragraph">{html.escape(text, quote=False)}</p>' in page


def _numbers_in(value: object) -> set[str]:
    """Every way the report may print a number of results.json: plain, percent, 0–2 decimals."""
    found: set[str] = set()
    if isinstance(value, dict):
        for v in value.values():
            found |= _numbers_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= _numbers_in(v)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int | float):
        for x in (value, 100 * value):
            found |= {f"{x:.0f}", f"{x:.1f}", f"{x:.2f}", f"{x:g}"}
    elif isinstance(value, str):
        found |= set(re.findall(r"\d+(?:\.\d+)?", value))
    return found


def test_every_number_in_the_paragraph_comes_from_the_results(
    mll03_results: StudyResults, mll03_report: ReportFiles
) -> None:
    known = _numbers_in(json.loads(mll03_report.results_json.read_text()))
    paragraph = " ".join(results_paragraphs(mll03_results))
    paragraph = re.sub(r"P < \.\d+", "", paragraph)  # thresholds, not results
    printed = re.findall(r"(?<![\w.])\.?\d+(?:\.\d+)?", paragraph)
    unknown = [n for n in printed if n not in known and "0" + n not in known]
    assert unknown == []


def test_pdf_pages_render(mll03_report: ReportFiles, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert mll03_report.pdf is not None
    document = pypdfium2.PdfDocument(str(mll03_report.pdf))
    assert len(document) >= 5
    for index in range(len(document)):
        image = document[index].render(scale=0.6).to_pil().convert("L")
        image.save(tmp_path / f"page{index + 1}.png")
        dark = int((np.asarray(image) < 128).sum())
        assert dark > 500, f"page {index + 1} looks blank"
    text = document[0].get_textpage().get_text_range()
    assert "Results" in text


@pytest.mark.parametrize("style", ["estimate_ci"])
def test_the_other_style_prints_confidence_intervals(
    mll03_results: StudyResults, style: str
) -> None:
    reporting = mll03_results.reporting.model_copy(update={"style": style})
    other = StudyResults(**{**mll03_results.__dict__, "reporting": reporting})
    paragraph = " ".join(results_paragraphs(other))
    at = mll03_results.endpoint("os_after_relapse").overall.at_times[0]
    assert at.lower is not None
    assert at.upper is not None
    assert (
        f"{100 * at.estimate:.1f}% (95% CI {100 * at.lower:.1f}–{100 * at.upper:.1f}%)" in paragraph
    )
