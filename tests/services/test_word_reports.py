"""Word reports open with python-docx and carry the header block of their issuing body."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from danvan_workflow.core.doc_header import MOTTO, NATIONAL_TITLE, PARTY_TITLE
from danvan_workflow.services import config

CONFIG = Path(__file__).resolve().parents[2] / "config"


def _header_texts(path: Path) -> tuple[str, str]:
    doc = Document(str(path))
    left, right = doc.tables[0].rows[0].cells
    return " ".join(p.text for p in left.paragraphs), " ".join(p.text for p in right.paragraphs)


@pytest.mark.parametrize(("args", "party", "issuer", "place"), [
    (["--plan", "26-KH/BCĐ", "--on", "31/12/2023"], True,
     "BAN CHỈ ĐẠO PHONG TRÀO THI ĐUA “DÂN VẬN KHÉO” THỊ XÃ ĐỨC PHỔ",
     "Đức Phổ, ngày 31 tháng 12 năm 2023"),
    (["--plan", "KH-UBND-CL-2024", "--on", "31/12/2024"], False,
     "ỦY BAN NHÂN DÂN HUYỆN CAO LỘC", "Cao Lộc, ngày 31 tháng 12 năm 2024"),
    (["--by-area", "--issuer", "TN.BDV", "--on", "03/12/2026"], True,
     "BAN DÂN VẬN TỈNH ỦY TÂY NINH", "Tây Ninh, ngày 03 tháng 12 năm 2026"),
])
def test_report_header_follows_the_issuer(sqlite_url: str, tmp_path: Path, args: list[str],
                                          party: bool, issuer: str, place: str) -> None:
    from danvan_workflow.cli.main import app

    config.load(CONFIG)
    out = tmp_path / "bao-cao.docx"
    res = CliRunner().invoke(app, ["reports", "word", *args, "-o", str(out)])
    assert res.exit_code == 0, res.output
    left, right = _header_texts(out)
    assert issuer in left and place in right
    if party:
        assert PARTY_TITLE in right and NATIONAL_TITLE not in right and "*" in left
        assert "-BC/" in left
    else:
        assert NATIONAL_TITLE in right and MOTTO in right and PARTY_TITLE not in right
        assert "/BC-" in left
    doc = Document(str(out))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in body and "Tỷ lệ đúng hạn" in doc.tables[1].rows[0].cells[-1].text
    assert len(doc.tables[1].rows) > 2


def test_bad_requests_are_named(sqlite_url: str, tmp_path: Path) -> None:
    from danvan_workflow.cli.main import app

    config.load(CONFIG)
    runner = CliRunner()
    for args, word in ((["--plan", "KHONG-CO", "-o", str(tmp_path / "a.docx")], "KHONG-CO"),
                       (["--plan", "26-KH/BCĐ", "-o", str(tmp_path / "a.pdf")], ".docx"),
                       (["--by-area", "-o", str(tmp_path / "a.docx")], "--issuer")):
        res = runner.invoke(app, ["reports", "word", *args])
        assert res.exit_code != 0 and word in res.output and "Traceback" not in res.output
    assert not (tmp_path / "a.docx").exists()
