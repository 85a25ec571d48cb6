"""The roll-up by province → district → unit shows what the per-unit rows add up to."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from danvan_workflow import dashboards
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config, reports
from danvan_workflow.services.queries import list_deadlines
from danvan_workflow.services.rollup import rollup
from danvan_workflow.services.views import view_units

CONFIG = Path(__file__).resolve().parents[2] / "config"
DAY = dt.date(2026, 12, 3)
COUNTS = ("Đúng hạn", "Trễ hạn", "Quá hạn chưa nộp", "Tổng số hạn")


def _submit_some(day: dt.date) -> None:
    """Every third deadline due this year is reported: on time, then late, alternately."""
    with session_scope() as s:
        due = [d for d in list_deadlines(s, start=dt.date(2026, 1, 1), end=day,
                                         include_continuous=False)][::3]
        for i, d in enumerate(due):
            assert d.due_on is not None
            received = d.due_on if i % 2 == 0 else d.due_on + dt.timedelta(days=7)
            reports.submit(s, deadline_id=d.id, received_on=min(received, day),
                           document_number=None, recorded_by="kiểm thử", today=day)


def test_district_totals_are_the_sums_of_their_units(db_url: str) -> None:
    config.load(CONFIG)
    _submit_some(DAY)
    with session_scope() as s:
        per_unit = {row["Đơn vị"].rsplit("(", 1)[1].rstrip(")"): row
                    for row in dashboards.rates_by_unit(s, DAY).rows}
        rolled = rollup(s, DAY)
        table = dashboards.rollup(s, DAY)
    children: dict[str, list[str]] = defaultdict(list)
    for u in view_units():
        if u.parent_code:
            children[u.parent_code].append(u.code)

    def subtree(code: str) -> list[str]:
        return [code] + [x for c in children[code] for x in subtree(c)]

    assert any(r.level == "district" for r in rolled)
    assert any(r.level == "province" for r in rolled)
    assert sum(r.on_time + r.late for r in rolled) > 0 and sum(r.overdue for r in rolled) > 0
    for r in rolled:
        units = subtree(r.code)
        expected = {k: sum(per_unit[u][k] for u in units if u in per_unit) for k in COUNTS}
        got = {"Đúng hạn": r.on_time, "Trễ hạn": r.late, "Quá hạn chưa nộp": r.overdue,
               "Tổng số hạn": r.total}
        assert got == expected, r.code
        assert r.units == len(units)
    # the published table carries the same figures, a parent before its children
    assert len(table.rows) == len(rolled)
    shown = {row["Đơn vị và các đơn vị trực thuộc"].lstrip("— ").rsplit("(", 1)[1].rstrip(")"):
             row for row in table.rows}
    for r in rolled:
        assert shown[r.code]["Quá hạn chưa nộp"] == r.overdue
        assert shown[r.code]["Cấp"] in {"Tỉnh", "Huyện", "Xã", "Cơ sở", "Trung ương"}
    order = [r.code for r in rolled]
    parents = {c: p for p, cs in children.items() for c in cs}
    for code in order:
        p = parents.get(code)
        if p in order:
            assert order.index(p) < order.index(code)


def test_worst_offenders_are_named_with_their_overdue_count(sqlite_url: str) -> None:
    config.load(CONFIG)
    with session_scope() as s:
        rolled = rollup(s, DAY)
    top = max(rolled, key=lambda r: r.overdue)
    assert top.worst and all(w.endswith(")") for w in top.worst)
    counts = [int(w.rsplit("(", 1)[1].rstrip(")")) for w in top.worst]
    assert counts == sorted(counts, reverse=True)


def test_worst_offenders_are_the_top_of_each_whole_subtree(db_url: str) -> None:
    """The roll-up ranks only each sibling group's top units (services/rollup.py); the
    names it gives must be those a count over the whole subtree gives."""
    config.load(CONFIG)
    _submit_some(DAY)
    with session_scope() as s:
        per_unit = {row["Đơn vị"].rsplit("(", 1)[1].rstrip(")"): row
                    for row in dashboards.rates_by_unit(s, DAY).rows}
        rolled = rollup(s, DAY)
    units = {u.code: u for u in view_units()}
    children: dict[str, list[str]] = defaultdict(list)
    for u in units.values():
        if u.parent_code:
            children[u.parent_code].append(u.code)

    def below(code: str) -> list[str]:
        return [x for c in children[code] for x in (c, *below(c))]

    for r in rolled:
        ranked = sorted(((per_unit[c]["Quá hạn chưa nộp"], c) for c in below(r.code)
                         if c in per_unit and per_unit[c]["Quá hạn chưa nộp"] > 0),
                        key=lambda t: (-t[0], t[1]))[:3]
        expected = tuple(f"{units[c].name} ({n})" for n, c in ranked)
        assert r.worst == expected, r.code
