"""Shared pieces of the flows: artifacts, the working-day check, the run day.

Flows stay thin: they call services and publish what the services return.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from danvan_workflow.dashboards import Table, escape_markdown, markdown_table
from danvan_workflow.services.calendar import is_working_day
from danvan_workflow.timeutil import today


def working_day(day: dt.date) -> bool:
    return is_working_day(day)


def run_day(run_date: dt.date | None) -> dt.date:
    return run_date or today()


def publish_table(t: Table) -> None:
    create_table_artifact(t.rows or [{"Thông tin": "Không có dữ liệu"}], key=t.key,
                          description=t.describe())


def publish_markdown(key: str, title: str, body: str, description: str | None = None) -> None:
    create_markdown_artifact(f"# {title}\n\n{body}\n", key=key, description=description or title)


def changed(title: str, lines: list[str], rows: list[dict[str, Any]] | None = None) -> str:
    """The 'what changed' artifact of an operator action."""
    body = "\n".join(f"- {escape_markdown(x)}" for x in lines)  # names are users' text
    if rows:
        body += "\n\n" + markdown_table(rows)
    publish_markdown("danvan-thao-tac", title, body)
    return body


def cancelled() -> dict[str, Any]:
    """The run's result when the operator cancelled the action: nothing was written."""
    changed("Đã hủy thao tác", ["Người vận hành đã hủy: không ghi gì."])
    return {"cancelled": True}
