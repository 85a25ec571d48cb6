"""Word (.docx) reports with the administrative header block (python-docx).

A report is an A4 page, Times New Roman 13–14 pt as offices write: the header block
(core/doc_header.py) in a borderless two-column table, the title in bold capitals,
paragraphs, a table, and the signature block on the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from danvan_workflow.core.doc_header import HeaderBlock

FONT = "Times New Roman"


@dataclass(frozen=True)
class ReportDoc:
    header: HeaderBlock
    title: str
    subtitle: str
    paragraphs: list[str] = field(default_factory=list)
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[object]] = ()
    closing: list[str] = field(default_factory=list)
    signer_title: str = "TM. CƠ QUAN"
    recipients: list[str] = field(default_factory=list)
    widths: Sequence[float] = ()  # cm per column of the table (16.5 cm in all)


def _run(par, text: str, *, bold: bool = False, italic: bool = False,  # type: ignore[no-untyped-def]
         underline: bool = False, size: float = 13) -> None:
    r = par.add_run(text)
    r.bold, r.italic, r.underline = bold, italic, underline
    r.font.size = Pt(size)
    r.font.name = FONT
    r._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _line(cell, text: str, **style: object) -> None:  # type: ignore[no-untyped-def]
    par = cell.add_paragraph()
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    par.paragraph_format.space_after = Pt(0)
    _run(par, text, **style)  # type: ignore[arg-type]


def _widths(table, cms: Sequence[float]) -> None:  # type: ignore[no-untyped-def]
    """Column widths Word and LibreOffice both keep (set on every cell, no autofit)."""
    table.autofit = False
    for column, cm in zip(table.columns, cms, strict=True):
        column.width = Cm(cm)  # the grid LibreOffice reads
    for row in table.rows:
        for cell, cm in zip(row.cells, cms, strict=True):
            cell.width = Cm(cm)


def _header(doc, h: HeaderBlock) -> None:  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    _widths(table, (6.5, 10.0))
    for cell in (left, right):
        cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    if h.upper:
        _line(left, h.upper, size=13)
    _line(left, h.issuer, bold=True, size=13)
    _line(left, "*" if h.party else "———", size=13)
    _line(left, h.number, size=13)
    _line(right, h.right_title, bold=True, underline=h.party, size=13 if h.party else 12)
    if h.motto:
        _line(right, h.motto, bold=True, underline=True, size=13)
    _line(right, "")
    _line(right, h.place_date, italic=True, size=13)


def render(report: ReportDoc, path: Path) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    _header(doc, report.header)
    for text, size in ((report.title, 14), (report.subtitle, 14)):
        par = doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        par.paragraph_format.space_before = Pt(12 if text is report.title else 0)
        _run(par, text, bold=True, size=size)
    for text in report.paragraphs:
        par = doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        par.paragraph_format.first_line_indent = Cm(1)
        _run(par, text, size=14)
    if report.columns:
        table = doc.add_table(rows=1, cols=len(report.columns))
        table.style = "Table Grid"
        for cell, name in zip(table.rows[0].cells, report.columns, strict=True):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(cell.paragraphs[0], name, bold=True, size=12)
        for row in report.rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                _run(cell.paragraphs[0], str(value), size=12)
        _widths(table, report.widths or [16.5 / len(report.columns)] * len(report.columns))
    for text in report.closing:
        par = doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        par.paragraph_format.first_line_indent = Cm(1)
        _run(par, text, size=14)
    foot = doc.add_table(rows=1, cols=2)
    _widths(foot, (8.0, 8.5))
    left, right = foot.rows[0].cells
    if report.recipients:
        par = left.paragraphs[0]
        _run(par, "Nơi nhận:", bold=True, italic=True, size=12)
        for name in report.recipients:
            _line(left, f"- {name},", size=11)
        _line(left, "- Lưu.", size=11)
        for par in left.paragraphs[1:]:
            par.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _line(right, report.signer_title, bold=True, size=13)
    doc.save(str(path))
    return path
