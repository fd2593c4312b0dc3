"""Journal-style Word tables of the report's printed cells: three rules, no shading, no colour.

A cell holds exactly the text of the report's table frame (what the HTML and the CSV print);
nothing here formats a number. The only choices made are the layout a journal asks for: a rule
above the table, one under the header and one below it, the header repeated on each page, and
column widths that keep a figure ("60.2 ± 11.1%"), a count or a P on one line. A table too wide
for a portrait page is set on landscape pages, as journals set wide tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row, CT_TcPr
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Emu, Length, Pt
from docx.table import Table as WordTable
from docx.table import _Cell

TABLE_TEXT = "Table Text"  # the paragraph style of every cell, 9 pt (set up by the document)
PAGE = (Cm(21), Cm(29.7))  # A4
MARGIN = Cm(2.5)
# In characters of 9 pt text: the widest a column asks for, the narrowest it gets, the longest
# cell with a digit kept on one line ("2.12 (0.46–9.88)"); then a character's width and the
# cell's margins, left and right together.
_LONGEST, _SHORTEST, _UNBROKEN = 28, 3, 16
_CHARACTER, _CELL_MARGIN = Cm(0.19), Cm(0.1)
_INDENT = Cm(0.4)  # per four leading spaces of a cell: the flow table's breakdown rows
# Characters XML 1.0 cannot hold; a label pasted from elsewhere may carry one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def plain(text: str) -> str:
    """Text as a Word document can hold it: characters XML 1.0 forbids are dropped."""
    return _NOT_XML.sub("", text)


def cell_text(value: object) -> str:
    """A cell as the HTML prints it (``na_rep=""``): the frames hold the printed text already."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    return str(value)


def add_table(document: Document, caption: str, frame: pd.DataFrame) -> WordTable:
    """The caption above, then the frame's cells; on a landscape page if portrait is too narrow."""
    header = [cell_text(name) for name in frame.columns]
    rows = [[cell_text(v) for v in values] for values in frame.itertuples(index=False, name=None)]
    widths = _column_widths(header, rows, PAGE[0] - 2 * MARGIN)
    orient(document, landscape=widths is None)
    if widths is None:
        widths = _column_widths(header, rows, PAGE[1] - 2 * MARGIN, squeeze=True)
    assert widths is not None  # squeezed widths always fit
    title = document.add_paragraph(plain(caption))
    title.paragraph_format.keep_with_next = True
    # Room above the caption, not an empty paragraph below the table: that one would spill
    # onto a page of its own where a full table meets a turned page.
    title.paragraph_format.space_before = Pt(14)
    title.runs[0].bold = True
    table = document.add_table(rows=1, cols=len(header))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    # By id: setting a style by name makes python-docx scan every style, per cell (~1 s here).
    style = document.styles[TABLE_TEXT].style_id
    for cell, text, width in zip(table.rows[0].cells, header, widths, strict=True):
        _write_cell(cell, style, text, width, bold=True)
        _rule(cell._tc.get_or_add_tcPr())  # python-docx has no API for borders
    _repeat_as_header(table.rows[0]._tr)
    for row in rows:
        for cell, text, width in zip(table.add_row().cells, row, widths, strict=True):
            _write_cell(cell, style, text, width)
    _table_properties(table)
    return table


@dataclass(frozen=True)
class _Column:
    least: int  # characters that must fit on one line
    wanted: int  # characters of its longest cell, up to _LONGEST


def _column(name: str, cells: list[str]) -> _Column:
    whole = [
        len(c) if len(c) <= _UNBROKEN and any(ch.isdigit() for ch in c) else _longest_word(c)
        for c in cells
    ]
    least = max(*whole, _longest_word(name) + 1, _SHORTEST)  # + 1: the header is bold
    return _Column(least, max(least, min(max(map(len, cells), default=0), _LONGEST)))


def _column_widths(
    header: list[str], rows: list[list[str]], width: int, *, squeeze: bool = False
) -> list[Length] | None:
    """Widths that keep short numeric cells on one line and let labels wrap; None if too wide.

    Each column gets at least its longest unbreakable text (a short cell with a digit whole,
    otherwise its longest word, and the header's longest word), then a share of the room left
    by how much more its longest cell wants. ``squeeze``: scale down what does not fit (cells
    then wrap at spaces) instead of answering None.
    """
    columns = [_column(name, [row[k] for row in rows]) for k, name in enumerate(header)]
    least = [c.least for c in columns]
    wanted = [c.wanted for c in columns]
    room = (width - len(columns) * 2 * _CELL_MARGIN) / _CHARACTER  # in characters
    if sum(wanted) <= room:
        characters = [w * room / sum(wanted) for w in wanted]
    elif sum(least) <= room:
        more = [w - m for w, m in zip(wanted, least, strict=True)]
        characters = [
            m + (room - sum(least)) * x / sum(more) for m, x in zip(least, more, strict=True)
        ]
    elif squeeze:
        characters = [m * room / sum(least) for m in least]
    else:
        return None
    return [Emu(int(2 * _CELL_MARGIN + c * _CHARACTER)) for c in characters]


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def orient(document: Document, *, landscape: bool) -> None:
    """Turn the page from here on (a new section on a new page), unless it is turned already."""
    if (document.sections[-1].orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    short, long = PAGE
    section.page_width, section.page_height = (long, short) if landscape else (short, long)


def _write_cell(cell: _Cell, style: str, text: str, width: Length, *, bold: bool = False) -> None:
    """Leading spaces (a breakdown row under its step) become an indent, as an editor sets it."""
    cell.width = width
    paragraph = cell.paragraphs[0]
    paragraph._p.style = style
    shown = text.lstrip(" ")
    if len(shown) < len(text):
        paragraph.paragraph_format.left_indent = Emu(_INDENT * ((len(text) - len(shown) + 3) // 4))
    run = paragraph.add_run(plain(shown))
    if bold:
        run.bold = True


def _border(edge: str) -> BaseOxmlElement:
    element = OxmlElement(f"w:{edge}")
    for key, value in (("val", "single"), ("sz", "8"), ("space", "0"), ("color", "000000")):
        element.set(qn(f"w:{key}"), value)
    return element


def _table_properties(table: WordTable) -> None:
    """A rule above and below (no vertical lines, no inner rules) and narrow cell margins."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "bottom"):
        borders.append(_border(edge))
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        margin = OxmlElement(f"w:{edge}")
        margin.set(qn("w:w"), str(_CELL_MARGIN.twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties = table._tbl.tblPr
    properties.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    properties.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def _rule(cell_properties: CT_TcPr) -> None:
    """The rule under a header cell."""
    borders = OxmlElement("w:tcBorders")
    borders.append(_border("bottom"))
    cell_properties.insert_element_before(
        borders, "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign"
    )


def _repeat_as_header(row: CT_Row) -> None:
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    row.get_or_add_trPr().insert_element_before(repeat, "w:tblCellSpacing", "w:jc", "w:hidden")
