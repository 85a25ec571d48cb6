"""The base of every command model and the one way to build one from untrusted input."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    WithJsonSchema,
)

from danvan_workflow.configuration.messages import vi_message
from danvan_workflow.errors import UserError
from danvan_workflow.inputs import as_date

C = TypeVar("C", bound=BaseModel)


def _day(value: Any) -> dt.date | None:
    try:
        return as_date(value, "")
    except UserError as exc:
        raise ValueError(exc.message) from None


def _required_day(value: Any) -> dt.date:
    day = _day(value)
    if day is None:
        raise ValueError("cần nhập ngày (ngày/tháng/năm, ví dụ 03/12/2026)")
    return day


# A day in a form is text typed day/month/year: the browser's date picker would read
# 03/12/2026 as March 12 in an en-US locale. Parsed by the one parser (inputs.as_date,
# which also takes YYYY-MM-DD and dates from the CLI).
DAY_HINT = "ngày/tháng/năm, ví dụ 03/12/2026"
_DAY_SCHEMA = WithJsonSchema({"type": "string", "description": DAY_HINT})
Day = Annotated[dt.date, BeforeValidator(_required_day), _DAY_SCHEMA]
OptionalDay = Annotated[dt.date | None, BeforeValidator(_day), _DAY_SCHEMA]


class Command(BaseModel):
    """An operator action's input. Unknown fields are refused; text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def parse_command(model: type[C], value: C | dict[str, Any] | None) -> C:
    """The command from a form's JSON, CLI options or a model; a Vietnamese error otherwise.

    The error names the field by its title (what the form shows) and its key.
    """
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "input"
        first = str(err["loc"][0]) if err["loc"] else ""
        title = model.model_fields[first].title if first in model.model_fields else None
        what = vi_message(dict(err))
        raise UserError(f"{title + ': ' if title else ''}{what}", field=loc) from None
