"""report.docx as a physician opens it: Word tables holding the numbers of results.json.

Expected cells come from results.json through the report's own formatters (``figure``,
``hazard_ratio``, ``p_value``) and from the HTML report's tables; no number is typed here.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pytest
from docx.document import Document
from docx.enum.section import WD_ORIENT

from followup.analysis import StudyResults
from followup.analysis.estimates import AtTime
from followup.cli.demo import demo_notes
from followup.report import ReportFiles, results_paragraphs
from followup.report.docx import write_docx
from followup.report.methods import methods
from followup.report.numbers import figure, hazard_ratio, p_value
from followup.report.tables import Table
from followup.study.plan_schema import Reporting


@pytest.fixture(scope="module")
def document(mll03_report: ReportFiles) -> Document:
    return docx.Document(str(mll03_report.docx))


@pytest.fixture(scope="module")
def rows(document: Document) -> list[list[str]]:
    """Every row of every Word table, as its cells' text."""
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


@pytest.fixture(scope="module")
def results_json(mll03_report: ReportFiles) -> dict[str, Any]:
    return json.loads(mll03_report.results_json.read_text(encoding="utf-8"))


def _table_cell(formatted: str) -> str:
    """A P or a hazard ratio as the tables print it: without 'P = ' and '95% CI '."""
    return re.sub(r"\d+% CI ", "", formatted.removeprefix("P ").removeprefix("= "))


def _has_row(rows: list[list[str]], *cells: str) -> bool:
    return any(all(c in row for c in cells) for row in rows)


def test_the_word_report_is_a_valid_document(
    mll03_report: ReportFiles, results_json: dict[str, Any]
) -> None:
    assert mll03_report.docx == mll03_report.folder / "report.docx"
    with zipfile.ZipFile(mll03_report.docx) as archive:
        assert archive.testzip() is None
        assert "word/document.xml" in archive.namelist()
    reopened = docx.Document(str(mll03_report.docx))
    assert reopened.core_properties.title == results_json["study"]
    assert reopened.paragraphs[0].text == results_json["study"]


def test_survival_figures_at_each_time_point_are_in_the_tables(
    rows: list[list[str]], results_json: dict[str, Any]
) -> None:
    reporting = Reporting(**results_json["reporting"])
    checked = 0
    for endpoint in results_json["endpoints"]:
        groups = [endpoint["overall"]] + [g for c in endpoint["comparisons"] for g in c["groups"]]
        for group in groups:
            figures = [
                figure(AtTime(**at), reporting)
                for at in group["at_times"] + group["competing_at_times"]
            ]
            assert {at["time"] for at in group["at_times"]} == set(reporting.time_points)
            wanted = (group["group"], str(group["patients"]), str(group["events"]), *figures)
            assert _has_row(rows, *wanted), wanted
            checked += 1
    for model in results_json["models"]:
        for group in model["groups"]:
            figures = [figure(AtTime(**at), reporting) for at in group["at_times"]]
            assert _has_row(rows, group["group"], str(group["patients"]), *figures)
            checked += 1
    assert checked > 20
    assert any("±" in cell for row in rows for cell in row)  # the plan's style: estimate ± SE


def test_hazard_ratios_confidence_intervals_and_p_are_in_the_tables(
    rows: list[list[str]], results_json: dict[str, Any]
) -> None:
    level = results_json["reporting"]["conf_level"]
    ratios = [
        (r["level"], r["hazard_ratio"], r["lower"], r["upper"], r["p"])
        for factor in results_json["risk_factors"]
        for r in factor["ratios"]
    ]
    ratios += [
        (r["level"], r["hazard_ratio"], r["lower"], r["upper"], r["p"])
        for model in results_json["models"]
        for r in model["rows"]
        if r["hazard_ratio"] is not None
    ]
    assert len(ratios) > 10
    for level_name, ratio, lower, upper, p in ratios:
        cells = (_table_cell(hazard_ratio(ratio, lower, upper, level)), _table_cell(p_value(p)))
        assert _has_row(rows, *cells), (level_name, cells)
        assert any(level_name in cell for row in rows for cell in row)
    for comparison in (c for e in results_json["endpoints"] for c in e["comparisons"]):
        if comparison["p"] is not None:
            assert _has_row(rows, comparison["label"], _table_cell(p_value(comparison["p"])))


class _HtmlTables(HTMLParser):
    """Each table section of report.html as its rows of cell text, by the table's name."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._name = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and (found.get("id") or "").startswith("table-"):
            self._name = (found["id"] or "").removeprefix("table-")
            self.tables[self._name] = []
        elif tag == "tr" and self._name:
            self.tables[self._name].append([])
        elif tag in ("td", "th") and self._name:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._name][-1].append(unescape("".join(self._cell)))
            self._cell = None
        elif tag == "section":
            self._name = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_every_table_prints_what_the_html_report_prints(
    mll03_report: ReportFiles, document: Document
) -> None:
    parser = _HtmlTables()
    parser.feed(mll03_report.html.read_text(encoding="utf-8"))
    assert len(document.tables) == len(mll03_report.tables) == len(parser.tables)
    for table, word in zip(mll03_report.tables, document.tables, strict=True):
        shown = [[cell.text for cell in row.cells] for row in word.rows]
        html = [[cell.lstrip(" ") for cell in row] for row in parser.tables[table.name]]
        assert shown == html, table.name  # leading spaces are an indent in Word


def test_tables_are_captioned_and_plain(mll03_report: ReportFiles, document: Document) -> None:
    captions = [p.text for p in document.paragraphs if re.match(r"Table \d+\. ", p.text)]
    numbered = [t.title for t in mll03_report.tables if t.name != "patient_flow"]
    assert captions == [f"Table {k}. {title}" for k, title in enumerate(numbered, start=1)]
    assert captions[0].startswith("Table 1. Characteristics")
    body = zipfile.ZipFile(mll03_report.docx).read("word/document.xml").decode("utf-8")
    assert "<w:shd" not in body  # no shading
    assert set(re.findall(r'w:color="([0-9A-Fa-f]{6})"', body)) <= {"000000"}
    for edge in ("left", "right", "insideV", "insideH"):  # no vertical rules, no inner ones
        assert f"<w:{edge} w:val=" not in body


def test_wide_tables_are_set_on_landscape_pages(document: Document) -> None:
    orientations = [s.orientation for s in document.sections]
    assert WD_ORIENT.LANDSCAPE in orientations  # the incidence table has 11 columns
    assert orientations[0] == orientations[-1] == WD_ORIENT.PORTRAIT


def test_each_figure_is_embedded_as_its_png(mll03_report: ReportFiles, document: Document) -> None:
    assert len(document.inline_shapes) == len(mll03_report.figures)
    with zipfile.ZipFile(mll03_report.docx) as archive:
        media = {
            hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if name.startswith("word/media/")
        }
    drawn = {hashlib.sha256(f.png.read_bytes()).hexdigest() for f in mll03_report.figures}
    assert media == drawn
    captions = [p.text for p in document.paragraphs if p.style and p.style.name == "Caption"]
    titles = [f.title for f in mll03_report.figures[1:]]  # the flow diagram heads its section
    assert captions == [f"Figure {k}. {t}" for k, t in enumerate(titles, start=1)]


def test_the_results_and_methods_are_the_report_s_text(
    mll03_results: StudyResults, document: Document
) -> None:
    texts = [p.text for p in document.paragraphs]
    start = texts.index("Results") + 1
    paragraphs = results_paragraphs(mll03_results)
    assert texts[start : start + len(paragraphs)] == paragraphs
    for line in [*methods(mll03_results), *demo_notes()]:
        assert line in texts
    assert "Methods and definitions" in texts


def test_characters_xml_cannot_hold_are_dropped(
    mll03_results: StudyResults, mll03_report: ReportFiles, tmp_path: Path
) -> None:
    study = StudyResults(**{**mll03_results.__dict__, "study": "MLL03\x0b trial\x01"})
    frame = pd.DataFrame([{"Group": "a\x1fb", "n": 3}, {"Group": "c"}])  # a missing cell
    path = write_docx(
        study, mll03_report.figures[:1], [Table("x", "X", frame)], tmp_path / "report.docx"
    )
    reopened = docx.Document(str(path))
    assert reopened.paragraphs[0].text == "MLL03 trial"
    cells = [[c.text for c in row.cells] for row in reopened.tables[0].rows]
    assert cells == [["Group", "n"], ["ab", str(frame.iloc[0]["n"])], ["c", ""]]
