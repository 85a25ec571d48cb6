"""Units and focal points from the shipped Excel template, in one transaction."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan_workflow.configuration.workbook import CONTACT_COLUMNS, UNIT_COLUMNS
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "config" / "templates" / "mau-don-vi-dau-moi.xlsx"


def _counts() -> tuple[int, int, int]:
    with session_scope() as s:
        return tuple(int(s.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (m.Unit, m.Contact, m.AuditEntry))  # type: ignore[return-value]


def _fill(target: Path, units: list[list[object]], contacts: list[list[object]]) -> Path:
    shutil.copy(TEMPLATE, target)
    wb = load_workbook(target)
    for sheet, rows in (("Đơn vị", units), ("Đầu mối", contacts)):
        ws = wb[sheet]
        for row in rows:
            ws.append(row)
    wb.save(target)
    return target


def _import(path: Path, cfg: Path) -> tuple[int, str]:
    from danvan_workflow.cli.main import app

    res = CliRunner().invoke(app, ["units", "import", str(path), "--config", str(cfg)])
    return res.exit_code, res.output


def test_the_shipped_template_has_the_generators_headers(tmp_path: Path) -> None:
    from danvan_workflow.cli.main import app

    made = tmp_path / "mau.xlsx"
    assert CliRunner().invoke(app, ["units", "template", "-o", str(made)]).exit_code == 0
    for path in (TEMPLATE, made):
        wb = load_workbook(path)
        for sheet, columns in (("Đơn vị", UNIT_COLUMNS), ("Đầu mối", CONTACT_COLUMNS)):
            headers = [str(c.value).rstrip(" *") for c in wb[sheet][1]]
            assert headers == [c.header for c in columns]
        assert "Hướng dẫn" in wb.sheetnames


def test_two_hundred_units_and_three_hundred_contacts(sqlite_url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(ROOT / "config", cfg)
    config.load(cfg)
    units = [["XL.TINH", "Ủy ban nhân dân tỉnh Xuân Lộc", "Cơ quan nhà nước", "Tỉnh", "Cơ quan",
              None, "Không", None]]
    units += [[f"XL.H{i:03d}", f"Ủy ban nhân dân huyện số {i}", "Cơ quan nhà nước", "Huyện",
               None, "XL.TINH", None, "Đơn vị thử"] for i in range(1, 200)]
    contacts = [[f"XL.H{i % 199 + 1:03d}.nguoi{i}", f"Nguyễn Văn {i}", f"XL.H{i % 199 + 1:03d}",
                 "Đầu mối" if i < 199 else "Lãnh đạo", f"nguoi{i}@example.vn", f"09{i:08d}",
                 None, None, "email", None] for i in range(300)]
    book = _fill(tmp_path / "Danh sách Xuân Lộc.xlsx", units, contacts)
    before = _counts()
    code, out = _import(book, cfg)
    assert code == 0, out
    assert "200 đơn vị" in out and "300 đầu mối" in out
    after = _counts()
    assert (after[0] - before[0], after[1] - before[1]) == (200, 300)
    with session_scope() as s:
        loads = s.execute(select(func.count()).select_from(m.AuditEntry)
                          .where(m.AuditEntry.action == "config.load")).scalar_one()
        child = s.execute(select(m.Unit).where(m.Unit.code == "XL.H007")).scalar_one()
        parent = s.get(m.Unit, child.parent_id)
    assert loads == 2  # the first load and the import: one transaction each
    assert parent is not None and parent.code == "XL.TINH" and child.level == "district"
    assert (cfg / "units" / "danh-sach-xuan-loc.yaml").is_file()
    # the same workbook again: nothing changes
    code, out = _import(book, cfg)
    assert code == 0 and _counts()[:2] == after[:2], out


def test_five_kinds_of_mistakes_are_placed_and_change_nothing(sqlite_url: str,
                                                             tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(ROOT / "config", cfg)
    config.load(cfg)
    units = [
        ["XL.A", "Đơn vị A", "Cơ quan nhà nước", "Huyện", None, None, None, None],
        ["XL.B", None, "Cơ quan nhà nước", "Huyện", None, None, None, None],      # row 3: B
        ["XL.C", "Đơn vị C", "Sở ban ngành", "Huyện", None, None, None, None],    # row 4: C
        ["XL.A", "Đơn vị A lần hai", "Cơ quan nhà nước", "Huyện", None, None, None, None],
        ["XL.D", "Đơn vị D", "Cơ quan nhà nước", "Xã", None, "XL.KHONG", None, None],
    ]
    contacts = [
        ["XL.A.dm", "Người A", "XL.A", "Đầu mối", "a@example.vn", None, None, None, "email",
         None],
        ["XL.A.dm2", "Người B", "XL.A", "Đầu mối", "khong-phai-email", None, None, None,
         None, None],                                                             # row 3: E
        ["XL.Z.dm", "Người C", "XL.KHONG.CO", "Lãnh đạo", None, None, None, None, None,
         None],                                                                   # row 4: C
    ]
    book = _fill(tmp_path / "loi.xlsx", units, contacts)
    before = _counts()
    files = sorted(p.name for p in (cfg / "units").iterdir())
    code, out = _import(book, cfg)
    assert code != 0 and "Traceback" not in out
    text = " ".join(out.split())
    for where in ("Đơn vị:3:B", "Đơn vị:4:C", "Đơn vị:5:A", "Đơn vị:6:F", "Đầu mối:3:E",
                  "Đầu mối:4:C"):
        assert where in text, (where, out)
    assert "Sở ban ngành" in text and "trùng với dòng 2" in text and "XL.KHONG" in text
    assert _counts() == before
    assert sorted(p.name for p in (cfg / "units").iterdir()) == files
