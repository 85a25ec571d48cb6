"""One on-time rate: the CLI status, the dashboard and the reporting-cycle summary agree."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from danvan_workflow import dashboards
from danvan_workflow.core.ontime import on_time_rate
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config, cycles, reports

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"
DAY = dt.date(2026, 6, 18)  # the 6-month report of 2026 was due on 17/06/2026


@pytest.mark.parametrize(("on_time", "late", "overdue", "rate"), [
    (0, 0, 0, None), (1, 0, 0, Decimal("100.0")), (1, 1, 1, Decimal("33.3")),
    (6, 1, 0, Decimal("85.7")), (0, 2, 3, Decimal("0.0")),
])
def test_the_definition(on_time: int, late: int, overdue: int, rate: Decimal | None) -> None:
    assert on_time_rate(on_time, late, overdue) == rate


def _rate_in(text: str, label: str) -> str:
    found = re.search(label + r"\s*([0-9.,]+%|—)", text)
    assert found, text
    return found.group(1)


def test_status_dashboard_and_cycle_print_the_same_rate(sqlite_url: str) -> None:
    from danvan_workflow.cli.main import app

    config.load(SMALL)
    with session_scope() as s:
        # PA.DU on time, CB.THPT late, PB.DU not at all
        for unit, received in (("PA.DU", dt.date(2026, 6, 15)), ("CB.THPT", dt.date(2026, 6, 22))):
            reports.submit(s, plan_code=PLAN, obligation_code="bc-6-thang", unit_code=unit,
                           period_key="2026-H1", received_on=received, document_number=None,
                           recorded_by="t", today=dt.date(2026, 6, 22))
    runner = CliRunner()
    out = runner.invoke(app, ["status", "--plan", PLAN, "--on", "18/06/2026"])
    assert out.exit_code == 0, out.output
    cli_plan = _rate_in(out.output, "Tỷ lệ nộp đúng hạn:")
    out = runner.invoke(app, ["status", "--unit", "PA.DU", "--on", "18/06/2026"])
    cli_unit = _rate_in(out.output, "Tỷ lệ nộp đúng hạn:")
    with session_scope() as s:
        by_plan = {r["Kế hoạch"]: r["Tỷ lệ đúng hạn"]
                   for r in dashboards.rates_by_plan(s, DAY).rows}
        by_unit = {r["Đơn vị"]: r["Tỷ lệ đúng hạn"] for r in dashboards.rates_by_unit(s, DAY).rows}
        closed = [c for c in cycles.closed_cycles(s, DAY) if c.period_key == "2026-H1"]
    assert len(closed) == 1
    cycle_row = dashboards.cycle_rows(closed)[0]["Tỷ lệ đúng hạn"]
    notice = cycles.close_notices(closed)[0].body
    assert cli_plan == "33,3%"
    assert by_plan == {next(iter(by_plan)): "33,3%"}
    assert cycle_row == "33,3%"
    assert "tỷ lệ đúng hạn 33,3%" in notice
    unit_row = next(v for k, v in by_unit.items() if k.endswith("(PA.DU)"))
    assert cli_unit == unit_row == "100%"
