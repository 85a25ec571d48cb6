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
    (["--kind", "dia_ban", "--issuer", "TN.BDV", "--on", "03/12/2026"], True,
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
                       (["--kind", "dia_ban", "-o", str(tmp_path / "a.docx")],
                        "đơn vị ban hành"),
                       (["--kind", "khong_co", "-o", str(tmp_path / "a.docx")], "kind")):
        res = runner.invoke(app, ["reports", "word", *args])
        assert res.exit_code != 0 and word in res.output and "Traceback" not in res.output
    assert not (tmp_path / "a.docx").exists()


@pytest.mark.parametrize(("args", "party", "words"), [
    (["--kind", "ky_bao_cao", "--plan", "294/KH-VP", "--period", "2024-H1",
      "--on", "31/12/2024"], False, "Tình hình nộp báo cáo"),
    (["--kind", "thi_dua", "--plan", "19-KH/BCĐ", "--year", "2026", "--scorer", "TN.BDV"],
     True, "Tổng hợp kết quả chấm điểm thi đua năm 2026"),
    (["--kind", "chi_tieu", "--plan", "294/KH-VP", "--year", "2024"], False,
     "Tình hình thực hiện chỉ tiêu năm 2024"),
    (["--kind", "kiem_tra", "--round", "{round}"], True, "Kết quả"),
])
def test_each_kind_of_report(sqlite_url: str, tmp_path: Path, args: list[str], party: bool,
                             words: str) -> None:
    from danvan_workflow.cli.main import app

    config.load(CONFIG)
    runner = CliRunner()
    teams = tmp_path / "doan.yaml"
    teams.write_text("- name: Đoàn 1\n  visits:\n    - unit: DP.BDV\n", encoding="utf-8")
    made = runner.invoke(app, ["inspections", "create", "--plan", "26-KH/BCĐ", "--kind",
                               "year_end", "--year", "2023", "--title",
                               "Kiểm tra cuối năm “Dân vận khéo”", "--teams", str(teams),
                               "--code", "KT-2023-CN"])
    assert made.exit_code == 0, made.output
    out = tmp_path / "bao-cao.docx"
    args = [a.replace("{round}", "KT-2023-CN") for a in args]
    res = runner.invoke(app, ["reports", "word", *args, "-o", str(out)])
    assert res.exit_code == 0, res.output
    _left, right = _header_texts(out)
    assert (PARTY_TITLE in right) is party and (NATIONAL_TITLE in right) is not party
    doc = Document(str(out))
    assert words in "\n".join(p.text for p in doc.paragraphs)
    assert len(doc.tables[1].rows) >= 2
