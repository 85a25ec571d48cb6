"""Pydantic models of the configuration files (see docs/configuration.md)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")

UnitKind = Literal[
    "party_committee", "party_board", "base_party_org", "state_agency", "people_council",
    "front", "mass_organisation", "enterprise", "school", "armed_forces",
    "steering_committee", "office",
]
Level = Literal["central", "province", "district", "commune", "base"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _code(value: str) -> str:
    if not CODE_RE.match(value):
        raise ValueError("mã chỉ gồm chữ không dấu, số và các dấu . _ - /")
    return value


class UnitIn(Strict):
    code: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=300)
    kind: UnitKind
    level: Level
    sector: Literal["agency", "enterprise", "school"] | None = None
    parent: str | None = None
    assumed: bool = False
    note: str | None = None

    _v_code = field_validator("code")(_code)


class UnitsFile(Strict):
    units: list[UnitIn]


class ContactIn(Strict):
    code: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit: str
    role: Literal["focal_point", "leader", "staff"]
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    zalo_user_id: str | None = None
    zalo_chat_id: str | None = None
    phone: str | None = Field(None, pattern=r"^\+?[0-9]{9,15}$")
    channels: list[str] = []
    # true: `channels` is a fallback chain: only the first reachable channel is planned,
    # the next ones take over when a channel refuses the recipient (services/fallback.py)
    fallback: bool = False

    _v_code = field_validator("code")(_code)


class ContactsFile(Strict):
    contacts: list[ContactIn]


class ChannelIn(Strict):
    code: str
    kind: Literal["email", "zalo_bot", "zalo_oa", "zalo_zns", "webhook"]
    url: str
    rate_per_second: float = Field(10, gt=0, le=1000)
    concurrency: int = Field(4, ge=1, le=64)
    max_attempts: int = Field(8, ge=1, le=50)


class ChannelsFile(Strict):
    channels: list[ChannelIn]


class CalendarDay(Strict):
    date: dt.date
    name: str
    document: str | None = None


class CalendarFile(Strict):
    year: int = Field(ge=2000, le=2100)
    # true once the government's holiday and swap announcements for the year are entered
    confirmed: bool = False
    # the official documents announcing the year's holidays and swaps
    documents: list[str] = []
    days_off: list[CalendarDay] = []
    working_days: list[CalendarDay] = []


class LadderOverride(Strict):
    plan: str | None = None
    obligation: str | None = None
    ladder: list[int] | None = None
    overdue_every: int | None = Field(None, ge=1)
    escalate_from: int | None = Field(None, ge=1)


class RemindersFile(Strict):
    ladder: list[int] = [-10, -5, -2, -1, 0, 1, 3]
    overdue_every: int = Field(5, ge=1)
    escalate_from: int = Field(3, ge=1)
    send_time: dt.time = dt.time(7, 30)
    digest: bool = True
    overrides: list[LadderOverride] = []
    operators: list[str] = []  # contact codes alerted when a message is dead-lettered

    @field_validator("send_time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, int):  # YAML 1.1 reads 07:30 as sexagesimal 450
            return dt.time(value // 60, value % 60)
        return value


class PlanHeader(Strict):
    code: str = Field(min_length=1, max_length=64)
    title: str
    issuer: str
    issued_on: dt.date | None = None
    year: int = Field(ge=2000, le=2100)
    # validity (core/validity.py): duties from valid_from (else issued_on, else 1/1 of
    # `year`) to valid_until (else 31/12 of `year`, unless `recurs`)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    recurs: bool = False
    source: str | None = None
    assumed: list[str] = []


class TaskIn(Strict):
    number: str
    title: str
    directing: list[str] = []
    advising: list[str] = []
    implementing: list[str] = []
    timing: str | None = None
    rule: dict[str, Any] | list[dict[str, Any]] | None = None
    note: str | None = None

    @field_validator("number", mode="before")
    @classmethod
    def _num(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class Selector(Strict):
    code: str | None = None  # one named unit
    kind: UnitKind | None = None
    level: Level | None = None
    parent: str | None = None
    sector: Literal["agency", "enterprise", "school"] | None = None


class ObligationIn(Strict):
    code: str
    title: str
    task: str | None = None
    reporters: list[str] = []
    reporter_groups: list[Selector] = []
    recipient: str
    timing: str | None = None
    rule: dict[str, Any] | None = None
    reminders: dict[str, Any] | None = None
    note: str | None = None

    @field_validator("task", mode="before")
    @classmethod
    def _num(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class QuotaIn(Strict):
    selector: Selector
    min_models: int = Field(ge=0)


class CriterionIn(Strict):
    code: str
    title: str
    max_points: Decimal = Field(gt=0)
    bonus_points: Decimal = Field(Decimal(0), ge=0)


class ThresholdIn(Strict):
    label: str
    min: Decimal


class ScoringBodyIn(Strict):
    scorer: str
    scored: list[Selector]
    due_rule: dict[str, Any] | None = None


class ScorecardIn(Strict):
    criteria: list[CriterionIn]
    classification: list[ThresholdIn]
    scoring_bodies: list[ScoringBodyIn] = []
    assumed: bool = False
    note: str | None = None


class TargetIn(Strict):
    code: str
    title: str
    fact: str
    population: list[Selector]
    threshold_percent: Decimal = Field(ge=0, le=100)
    comparison: Literal[">=", ">"] = ">="


class PlanFile(Strict):
    plan: PlanHeader
    tasks: list[TaskIn] = []
    obligations: list[ObligationIn] = []
    quotas: list[QuotaIn] = []
    scorecard: ScorecardIn | None = None
    targets: list[TargetIn] = []
