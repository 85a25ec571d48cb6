"""Schedule rules: a pydantic discriminated union on `kind`.

See docs/configuration.md, "Schedule rules". Every model is frozen and rejects
unknown keys; validation messages are Vietnamese.

Pure: no I/O.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from danvan_workflow.core.periods import BASES, PERIOD_KINDS, Basis, PeriodKind
from danvan_workflow.errors import UserError

__all__ = [
    "RULE_ADAPTER",
    "RULE_KINDS",
    "ContinuousRule",
    "EveryNMonthsRule",
    "FixedMode",
    "FixedRule",
    "MonthlyDayRule",
    "OffsetKind",
    "OnRequestRule",
    "PeriodicRule",
    "Rule",
    "RuleError",
    "Shift",
    "WindowPeriod",
    "WindowRule",
    "parse_rule",
]

FixedMode = Literal["before", "by"]
Shift = Literal["previous", "next"]
OffsetKind = Literal["working_days", "calendar_days", "cutoff"]
WindowPeriod = Literal["month", "quarter", "half_year", "year"]

RULE_KINDS = (
    "fixed",
    "monthly_day",
    "periodic",
    "every_n_months",
    "window",
    "continuous",
    "on_request",
)


class RuleError(UserError, ValueError):
    """A schedule rule that does not validate (Vietnamese message)."""


def _choice(value: object, allowed: tuple[str, ...], what: str) -> object:
    if isinstance(value, str) and value in allowed:
        return value
    raise ValueError(f"{what} {value!r} không hợp lệ; chỉ nhận: {', '.join(allowed)}")


def _int(value: object, what: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise ValueError(f"{what} phải là số nguyên, nhận được {value!r}")
    assert isinstance(value, int)
    if value < low or (high is not None and value > high):
        bound = f"từ {low} đến {high}" if high is not None else f"từ {low} trở lên"
        raise ValueError(f"{what} phải {bound}, nhận được {value}")
    return value


class _RuleBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(k) for k in data if k not in cls.model_fields)
            if unknown:
                allowed = ", ".join(cls.model_fields)
                raise ValueError(
                    f"khóa không được phép: {', '.join(unknown)} (chỉ nhận: {allowed})"
                )
        return data

    @model_validator(mode="after")
    def _check_validity(self) -> _RuleBase:
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until < self.valid_from
        ):
            raise ValueError("'valid_until' không được trước 'valid_from'")
        return self

    def is_valid_on(self, d: dt.date) -> bool:
        """Whether `d` lies inside [valid_from, valid_until] (open ends allowed)."""
        if self.valid_from is not None and d < self.valid_from:
            return False
        return self.valid_until is None or d <= self.valid_until


class FixedRule(_RuleBase):
    """'trước ngày D' (mode before) or 'chậm nhất ngày D' (mode by); year None = every year."""

    kind: Literal["fixed"] = "fixed"
    day: int
    month: int
    year: int | None = None
    mode: FixedMode
    shift: Shift = "previous"

    @field_validator("day", mode="before")
    @classmethod
    def _day(cls, v: object) -> int:
        return _int(v, "Ngày (day)", 1, 31)

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, v: object) -> int:
        return _int(v, "Tháng (month)", 1, 12)

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: object) -> int | None:
        return None if v is None else _int(v, "Năm (year)", 1900, 2100)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: object) -> object:
        return _choice(v, get_args(FixedMode), "Chế độ (mode)")

    @field_validator("shift", mode="before")
    @classmethod
    def _shift(cls, v: object) -> object:
        return _choice(v, get_args(Shift), "Cách dời ngày (shift)")

    @model_validator(mode="after")
    def _real_date(self) -> FixedRule:
        if self.day == 29 and self.month == 2 and self.year is None:
            raise ValueError(
                "Ngày 29/2 không có ở mọi năm: hãy ghi rõ năm (year) hoặc dùng ngày 28/2"
            )
        year = self.year if self.year is not None else 2000  # 2000 is a leap year
        last = _stdcal.monthrange(year, self.month)[1]
        if self.day > last:
            suffix = f"/{self.year}" if self.year is not None else ""
            raise ValueError(
                f"Ngày {self.day}/{self.month}{suffix} không tồn tại "
                f"(tháng {self.month} chỉ có {last} ngày)"
            )
        if self.mode == "before" and self.shift != "previous":
            raise ValueError("'shift: next' chỉ dùng với 'mode: by' (chậm nhất ngày …)")
        return self

    def date_in(self, year: int) -> dt.date:
        """The rule's calendar date in `year` (the rule's own year if it has one)."""
        return dt.date(self.year if self.year is not None else year, self.month, self.day)


class MonthlyDayRule(_RuleBase):
    """'trước ngày 25 hằng tháng' (mode before) or 'chậm nhất ngày 5 hằng tháng' (mode by).

    Every month; a day the month does not have (31 in April, 30 in February) is
    read as the month's last day.
    """

    kind: Literal["monthly_day"] = "monthly_day"
    day: int
    mode: FixedMode
    shift: Shift = "previous"

    @field_validator("day", mode="before")
    @classmethod
    def _day(cls, v: object) -> int:
        return _int(v, "Ngày (day)", 1, 31)

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: object) -> object:
        return _choice(v, get_args(FixedMode), "Chế độ (mode)")

    @field_validator("shift", mode="before")
    @classmethod
    def _shift(cls, v: object) -> object:
        return _choice(v, get_args(Shift), "Cách dời ngày (shift)")

    @model_validator(mode="after")
    def _shift_needs_by(self) -> MonthlyDayRule:
        if self.mode == "before" and self.shift != "previous":
            raise ValueError("'shift: next' chỉ dùng với 'mode: by' (chậm nhất ngày …)")
        return self

    def date_in(self, year: int, month: int) -> dt.date:
        """The rule's day in that month, clamped to the month's end."""
        return dt.date(year, month, min(self.day, _stdcal.monthrange(year, month)[1]))


class PeriodicRule(_RuleBase):
    """A periodic report due `offset` days after its period's cut-off (the period end).

    `offset` is required for `working_days` and `calendar_days`; for `cutoff` it
    must be omitted or 0.
    """

    kind: Literal["periodic"] = "periodic"
    period: PeriodKind
    basis: Basis = "nd09"
    offset_kind: OffsetKind = "working_days"
    offset: int | None = None
    # Which periods of the year, 1-based (e.g. [1]: the first half only, when the
    # second half is covered by the yearly report). None: every period.
    indices: tuple[int, ...] | None = None

    @field_validator("indices", mode="before")
    @classmethod
    def _indices(cls, v: object) -> tuple[int, ...] | None:
        if v is None:
            return None
        if not isinstance(v, list | tuple) or not v:
            raise ValueError("'indices' phải là danh sách số thứ tự kỳ, ví dụ [1]")
        return tuple(sorted({_int(x, "Số thứ tự kỳ (indices)", 1, 12) for x in v}))

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: object) -> object:
        return _choice(v, PERIOD_KINDS, "Kỳ báo cáo (period)")

    @field_validator("basis", mode="before")
    @classmethod
    def _basis(cls, v: object) -> object:
        return _choice(v, BASES, "Cách tính kỳ (basis)")

    @field_validator("offset_kind", mode="before")
    @classmethod
    def _offset_kind(cls, v: object) -> object:
        return _choice(v, get_args(OffsetKind), "Cách tính hạn (offset_kind)")

    @field_validator("offset", mode="before")
    @classmethod
    def _offset(cls, v: object) -> int | None:
        return None if v is None else _int(v, "Số ngày (offset)", 0, 366)

    @model_validator(mode="after")
    def _offset_needed(self) -> PeriodicRule:
        if self.offset_kind == "cutoff":
            if self.offset not in (None, 0):
                raise ValueError(
                    "'offset_kind: cutoff' (hạn là ngày chốt số liệu) không dùng 'offset'"
                )
        elif self.offset is None:
            raise ValueError(
                f"Thiếu 'offset': số ngày sau ngày chốt số liệu (offset_kind: {self.offset_kind})"
            )
        return self

    @property
    def days(self) -> int:
        """`offset`, with None read as 0."""
        return self.offset or 0


class EveryNMonthsRule(_RuleBase):
    """Due `months` after a start date (the rule's `start`, else the caller's anchor).

    A period counted in months that ends on a day off ends on the next working day
    (Bộ luật Dân sự 2015, Điều 148 khoản 5): `shift` None follows the law (or the
    caller's `by_shift`); `shift: previous` asks for the working day before instead.
    """

    kind: Literal["every_n_months"] = "every_n_months"
    months: tuple[int, ...]
    start: dt.date | None = None
    mode: Literal["by"] = "by"
    shift: Shift | None = None

    @field_validator("months", mode="before")
    @classmethod
    def _months(cls, v: object) -> tuple[int, ...]:
        if isinstance(v, int) and not isinstance(v, bool):
            v = [v]
        if not isinstance(v, list | tuple) or not v:
            raise ValueError("'months' phải là danh sách số tháng, ví dụ [3, 6]")
        values = [_int(x, "Số tháng (months)", 1, 120) for x in v]
        if len(set(values)) != len(values):
            raise ValueError("'months' có số tháng bị lặp")
        return tuple(sorted(values))

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v: object) -> object:
        return _choice(v, ("by",), "Chế độ (mode)")

    @field_validator("shift", mode="before")
    @classmethod
    def _shift(cls, v: object) -> object:
        return None if v is None else _choice(v, get_args(Shift), "Cách dời ngày (shift)")


class WindowRule(_RuleBase):
    """An occurrence with a start and an end: each `period`, or one `start`–`end` span."""

    kind: Literal["window"] = "window"
    period: WindowPeriod | None = None
    basis: Basis = "calendar"
    start: dt.date | None = None
    end: dt.date | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: object) -> object:
        return None if v is None else _choice(v, get_args(WindowPeriod), "Kỳ (period)")

    @field_validator("basis", mode="before")
    @classmethod
    def _basis(cls, v: object) -> object:
        return _choice(v, BASES, "Cách tính kỳ (basis)")

    @model_validator(mode="after")
    def _shape(self) -> WindowRule:
        has_dates = self.start is not None or self.end is not None
        if self.period is not None and has_dates:
            raise ValueError("Chỉ dùng 'period' hoặc cặp 'start'/'end', không dùng cả hai")
        if self.period is None:
            if self.start is None or self.end is None:
                raise ValueError("Cần 'period' hoặc đủ cả 'start' và 'end'")
            if self.end < self.start:
                raise ValueError("'end' không được trước 'start'")
        return self


class ContinuousRule(_RuleBase):
    """'Thường xuyên': no deadline, still shown in status."""

    kind: Literal["continuous"] = "continuous"


class OnRequestRule(_RuleBase):
    """'Khi có yêu cầu': occurrences are created by an operator with their own due date."""

    kind: Literal["on_request"] = "on_request"


def _rule_kind(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if isinstance(kind, str) and kind in RULE_KINDS else None


Rule = Annotated[
    Annotated[FixedRule, Tag("fixed")]
    | Annotated[MonthlyDayRule, Tag("monthly_day")]
    | Annotated[PeriodicRule, Tag("periodic")]
    | Annotated[EveryNMonthsRule, Tag("every_n_months")]
    | Annotated[WindowRule, Tag("window")]
    | Annotated[ContinuousRule, Tag("continuous")]
    | Annotated[OnRequestRule, Tag("on_request")],
    Discriminator(
        _rule_kind,
        custom_error_type="invalid_rule_kind",
        custom_error_message="loại lịch (kind) không hợp lệ hoặc bị thiếu; chỉ nhận: "
        + ", ".join(RULE_KINDS),
    ),
]

RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)


def _error_text(err: ValidationError) -> str:
    parts: list[str] = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if x not in RULE_KINDS)
        msg = str(e["msg"])
        msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if e["type"] in ("union_tag_invalid", "union_tag_not_found"):
            msg = "loại lịch (kind) không hợp lệ; chỉ nhận: " + ", ".join(RULE_KINDS)
        elif e["type"] in ("model_attributes_type", "dict_type", "model_type"):
            msg = "lịch phải là một bảng khóa–giá trị, ví dụ {kind: fixed, day: 20, month: 11}"
        elif e["type"] == "extra_forbidden":
            msg = "khóa không được phép"
        elif e["type"] == "missing":
            msg = "thiếu trường bắt buộc"
        elif e["type"] in ("date_from_datetime_parsing", "date_parsing", "date_type"):
            msg = "ngày không hợp lệ (dạng đúng: 2026-01-31)"
        parts.append(f"'{loc}': {msg}" if loc else msg)
    return "; ".join(parts)


def parse_rule(data: Any) -> Rule:
    """Validate a rule mapping; raise `RuleError` with a Vietnamese message on failure."""
    try:
        return RULE_ADAPTER.validate_python(data)
    except ValidationError as err:
        raise RuleError(f"Lịch không hợp lệ: {_error_text(err)}") from None
