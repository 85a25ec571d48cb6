"""Shared pieces of the flows: parameter coercion, artifacts, the working-day check.

Flows stay thin: they call services and publish what the services return.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed
from pydantic import BaseModel

from danvan_workflow.commands import parse_command
from danvan_workflow.dashboards import Table, escape_markdown, markdown_table
from danvan_workflow.errors import UserError
from danvan_workflow.services.calendar import is_working_day
from danvan_workflow.timeutil import today

M = TypeVar("M", bound=BaseModel)

def coerce(model: type[M], value: M | dict[str, Any] | None) -> M:
    """The flow's parameter model, from the UI's JSON or a model; Vietnamese errors."""
    return parse_command(model, value)


F = TypeVar("F", bound=Callable[..., Any])


def refuse_user_errors(fn: F) -> F:
    """An operator's mistake ends the run as Failed with the Vietnamese message only.

    No traceback: the message names the field; the service wrote nothing (its
    transaction rolled back).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            get_run_logger().error("refused: %s", exc.render())
            return Failed(message=exc.render())

    return wrapper  # type: ignore[return-value]


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
