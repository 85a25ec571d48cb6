"""Excel out: real dates, a frozen filtered header, the same figures as the read side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from danvan_workflow.services import config
from danvan_workflow.timeutil import today

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_deadlines_and_a_plans_year_as_workbooks(sqlite_url: str, tmp_path: Path) -> None:
    from danvan_workflow.cli.main import app

    config.load(CONFIG)
    runner = CliRunner()
    out = tmp_path / "han.xlsx"
    res = runner.invoke(app, ["deadlines", "list", "--unit", "TN.BDV", "--format", "xlsx",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    ws = load_workbook(out)["Hạn báo cáo"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws["A1"].font.bold
    dues = [c.value for c in ws["E"][1:]]
    assert dues and all(isinstance(v, dt.datetime) for v in dues)  # real dates
    assert ws["E2"].number_format == "dd/mm/yyyy"
    assert {c.value for c in ws["G"][1:]} == {"TN.BDV"}

    book = tmp_path / "so.xlsx"
    res = runner.invoke(app, ["reports", "excel", "--plan", "19-KH/BCĐ", "--year", "2026",
                              "-o", str(book)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(book)
    assert wb.sheetnames[:2] == ["Hạn báo cáo", "Theo đơn vị"] and "Điểm thi đua" in wb.sheetnames
    per_unit = {row[0]: row for row in wb["Theo đơn vị"].iter_rows(min_row=2, values_only=True)}
    due = [row for row in wb["Hạn báo cáo"].iter_rows(min_row=2, values_only=True)
           if row[4].date() <= today()]
    # each unit's "due so far" is its rows of the deadlines sheet; nothing submitted yet:
    # every one of them is overdue, the rate 0
    for code, row in per_unit.items():
        assert row[5] == sum(1 for d in due if d[6] == code) == row[4] + row[2] + row[3]
        assert row[6] == 0
    assert sum(r[5] for r in per_unit.values()) == len(due) > 0
    bad = runner.invoke(app, ["reports", "excel", "--plan", "19-KH/BCĐ", "--year", "2026",
                              "-o", str(tmp_path / "so.csv")])
    assert bad.exit_code != 0 and ".xlsx" in bad.output and "Traceback" not in bad.output
