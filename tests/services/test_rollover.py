"""Into next year: roll each shipped plan, load the drafts, the old plans stop."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config

CONFIG = Path(__file__).resolve().parents[2] / "config"
PLANS = ["KH-UBND-CL-2024", "294/KH-VP", "26-KH/BCĐ", "KH-TU-DP-KL1231", "19-KH/BCĐ"]
Y2027 = (dt.date(2027, 1, 1), dt.date(2027, 12, 31))


def _live_2027(plan_code: str) -> int:
    D, O, P = m.Deadline, m.Obligation, m.Plan
    with session_scope() as s:
        return int(s.execute(
            select(func.count()).select_from(D).join(O, O.id == D.obligation_id)
            .join(P, P.id == O.plan_id)
            .where(P.code == plan_code, D.due_on.between(*Y2027), D.status != "cancelled")
        ).scalar_one())


def test_roll_every_shipped_plan_into_2027(sqlite_url: str, tmp_path: Path) -> None:
    from danvan_workflow.cli.main import app

    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    config.load(cfg)
    assert _live_2027("19-KH/BCĐ") > 0  # the recurring plan had planned 2027 already
    runner = CliRunner()
    for code in PLANS:
        out = runner.invoke(app, ["plans", "roll", code, "--year", "2027", "--config", str(cfg)])
        assert out.exit_code == 0, out.output
        assert f"DT-2027-{code}" in out.output
    assert len(list((cfg / "plans").glob("*-2027.yaml"))) == 5
    # rolling again refuses, naming the draft; nothing changes on disk
    before = sorted(p.name for p in (cfg / "plans").iterdir())
    again = runner.invoke(app, ["plans", "roll", "26-KH/BCĐ", "--year", "2027",
                                "--config", str(cfg)])
    assert again.exit_code != 0 and "DT-2027-26-KH/BCĐ" in again.output
    assert "Traceback" not in again.output
    assert sorted(p.name for p in (cfg / "plans").iterdir()) == before

    config.load(cfg)
    drafts = {code: _live_2027(f"DT-2027-{code}") for code in PLANS}
    assert all(n > 0 for n in drafts.values()), drafts
    for code in PLANS:  # the old plans produce nothing in 2027
        assert _live_2027(code) == 0, code
    D, O = m.Deadline, m.Obligation
    with session_scope() as s:
        dupes = s.execute(
            select(D.unit_id, O.title, D.period_key, func.count())
            .join(O, O.id == D.obligation_id)
            .where(D.due_on.between(*Y2027), D.status != "cancelled")
            .group_by(D.unit_id, O.title, D.period_key).having(func.count() > 1)).all()
        plan = s.execute(select(m.Plan).where(m.Plan.code == "DT-2027-26-KH/BCĐ")).scalar_one()
    assert dupes == []
    assert plan.year == 2027 and plan.issued_on is None and "2027" in plan.title
    assert plan.valid_from == dt.date(2027, 2, 24)
    # the year-end routine's check: the drafts are in force and still drafts, the old
    # recurring plan no longer is, the 2027 calendar is still to be written
    out = runner.invoke(app, ["year", "check", "2027"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "Kế hoạch áp dụng năm 2027: 5" in text
    assert all(f"DT-2027-{code} còn là dự thảo" in text for code in PLANS)
    assert "cơ sở năm 2023" not in text and "Chưa có lịch ngày nghỉ" in text
    assert "Còn việc cần làm" in text


@pytest.mark.parametrize(("args", "words"), [
    (["KHONG-CO", "--year", "2027"], "không có kế hoạch số 'KHONG-CO'"),
    (["26-KH/BCĐ", "--year", "2023"], "phải sau năm 2023"),
    (["26-KH/BCĐ", "--year", "20x7"], "--year"),
])
def test_roll_refusals_are_vietnamese_and_write_nothing(sqlite_url: str, tmp_path: Path,
                                                        args: list[str], words: str) -> None:
    from danvan_workflow.cli.main import app

    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    out = CliRunner().invoke(app, ["plans", "roll", *args, "--config", str(cfg)])
    assert out.exit_code != 0 and words in out.output, out.output
    assert "Traceback" not in out.output
    assert sorted(p.name for p in (cfg / "plans").iterdir()) == sorted(
        p.name for p in (CONFIG / "plans").iterdir())
