"""Read side of `danvan calendar`: which years in use have an unconfirmed calendar."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from danvan_workflow.commands.calendar import CheckCalendar
from danvan_workflow.configuration.loader import load_config
from danvan_workflow.errors import UserError
from danvan_workflow.services.calendar import UnconfirmedYear, YearFile, unconfirmed_years
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import today


@dataclass(frozen=True)
class CalendarCheck:
    missing: list[UnconfirmedYear]

    @property
    def all_confirmed(self) -> bool:
        return not self.missing


def check_calendar(query: CheckCalendar, *, engine: Engine | None = None) -> CalendarCheck:
    """Years in use whose calendar is unconfirmed, in config/calendar or in the database.

    The configuration is read first (its errors are the user's to fix); a database that
    cannot be read is a user error too (not upgraded, not loaded).
    """
    config_dir = query.config_dir or get_settings().config_dir
    bundle = load_config(config_dir)
    files = {y.year: YearFile(y.confirmed, y.source_file) for y in bundle.calendar_years}
    try:
        with unit_of_work(engine=engine) as s:
            missing = unconfirmed_years(s, today(), files, config_dir)
    except SQLAlchemyError as exc:
        raise UserError("không đọc được cơ sở dữ liệu; hãy chạy danvan db upgrade và "
                        "danvan config load trước") from exc
    return CalendarCheck(missing)
