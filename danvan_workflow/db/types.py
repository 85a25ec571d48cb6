"""Column types. Instants are stored time-zone aware on every backend.

PostgreSQL gets `timestamptz`. SQLite has no time zone type, so instants are
stored as ISO 8601 text with their offset (always +07:00, so text order is time
order); nothing naive is ever written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from danvan_workflow.timeutil import TZ


class AwareDateTime(TypeDecorator[dt.datetime]):
    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: dt.datetime | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):  # already converted by sql_instant()
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: instants must be time-zone aware")
        value = value.astimezone(TZ)
        if dialect.name == "postgresql":
            return value
        return value.isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        result: dt.datetime = value.astimezone(TZ)
        return result


def sql_instant(value: dt.datetime, dialect_name: str) -> Any:
    """Bind value for raw SQL comparisons against AwareDateTime columns."""
    value = value.astimezone(TZ)
    return value if dialect_name == "postgresql" else value.isoformat(timespec="microseconds")
