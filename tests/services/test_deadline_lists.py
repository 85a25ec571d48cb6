"""A limited list is exactly the head of the full list, in the same order.

`list_deadlines(limit=...)` finds its cut-off date by walking the (status, due_on)
index per status (services/queries.py) instead of sorting every match; what the
dashboards show must not change because of it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config, reports
from danvan_workflow.services.queries import list_deadlines

CONFIG = Path(__file__).resolve().parents[2] / "config"
DAY = dt.date(2026, 12, 3)


@pytest.fixture
def loaded(db_url: str) -> None:
    config.load(CONFIG)
    with session_scope() as s:  # a mix of states, so that several index walks contribute
        due = list_deadlines(s, start=dt.date(2026, 1, 1), end=DAY, include_continuous=False)
        for i, d in enumerate(due[::4]):
            if i % 3 == 0:
                reports.waive(s, d.id, "Sáp nhập", "kiểm thử")
            elif i % 3 == 1:
                reports.extend(s, d.id, DAY + dt.timedelta(days=i), "Thiên tai", "kiểm thử")
            else:
                reports.submit(s, deadline_id=d.id, received_on=DAY, document_number=None,
                               recorded_by="kiểm thử", today=DAY)


@pytest.mark.parametrize("filters", [
    dict(end=DAY - dt.timedelta(days=1), include_continuous=False, open_only=True,
         current_only=True, newest_first=True),  # the overdue dashboard
    dict(start=DAY, end=DAY + dt.timedelta(days=14), include_continuous=False,
         open_only=True, current_only=True),  # the upcoming dashboard
    dict(),  # everything, continuous duties last
    dict(status="extended", newest_first=True),
    dict(plan=None, start=dt.date(2026, 6, 1)),
], ids=["overdue", "upcoming", "all", "extended", "from-june"])
def test_limited_lists_are_the_head_of_the_full_list(loaded: None, filters: dict) -> None:  # type: ignore[type-arg]
    with session_scope() as s:
        full = [d.id for d in list_deadlines(s, **filters)]
        assert len(full) > 3
        for limit in (1, 2, 3, 7, 50, len(full) - 1, len(full), len(full) + 5):
            head = [d.id for d in list_deadlines(s, limit=limit, **filters)]
            assert head == full[:limit], (limit, filters)
