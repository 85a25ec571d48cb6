"""The base of every command model and the one way to build one from untrusted input."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from danvan_workflow.configuration.messages import vi_message
from danvan_workflow.errors import UserError
from danvan_workflow.inputs import as_date

C = TypeVar("C", bound=BaseModel)


def _day(value: Any) -> dt.date | None:
    try:
        return as_date(value, "")
    except UserError as exc:
        raise ValueError(exc.message) from None


# A day typed as YYYY-MM-DD or DD/MM/YYYY (or a date); empty gives None.
OptionalDay = Annotated[dt.date | None, BeforeValidator(_day)]


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
