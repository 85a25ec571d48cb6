"""Read and validate the whole `config/` folder; report every problem with file and line.

Nothing here touches the database: `load_config` returns a validated
`ConfigBundle` or raises `ConfigErrors` listing every problem found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from danvan_workflow.configuration.messages import vi_message
from danvan_workflow.configuration.schema import (
    CalendarFile,
    ChannelIn,
    ChannelsFile,
    ContactIn,
    ContactsFile,
    ObligationIn,
    PlanFile,
    RemindersFile,
    Selector,
    UnitIn,
    UnitsFile,
)
from danvan_workflow.configuration.yamlio import YamlDoc, read_yaml
from danvan_workflow.core.calendar import CalendarOverride
from danvan_workflow.core.phrases import PhraseError, parse_phrase
from danvan_workflow.core.rules import RULE_ADAPTER
from danvan_workflow.errors import ConfigErrors, UserError

M = TypeVar("M", bound=BaseModel)


@dataclass
class Located:
    """A validated item and where it came from."""

    file: str
    line: int


@dataclass
class PlanBundle:
    model: PlanFile
    doc: YamlDoc
    task_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    obligation_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    obligation_reporters: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CalendarYearIn:
    """One ``config/calendar/<year>.yaml``: whether the year's days off are confirmed."""

    year: int
    confirmed: bool
    documents: list[str]
    source_file: str


@dataclass
class ConfigBundle:
    root: Path
    units: list[tuple[UnitIn, Located]] = field(default_factory=list)
    contacts: list[tuple[ContactIn, Located]] = field(default_factory=list)
    channels: list[ChannelIn] = field(default_factory=list)
    calendar: list[tuple[CalendarOverride, Located]] = field(default_factory=list)
    calendar_years: list[CalendarYearIn] = field(default_factory=list)
    reminders: RemindersFile = field(default_factory=lambda: RemindersFile())
    plans: list[PlanBundle] = field(default_factory=list)
    # "file:line: message" notes that do not stop a load (e.g. a rule with no end)
    warnings: list[str] = field(default_factory=list)

    def overrides(self) -> list[CalendarOverride]:
        return [o for o, _ in self.calendar]


class _Collector:
    def __init__(self) -> None:
        self.problems: list[UserError] = []

    def add(self, problem: UserError) -> None:
        self.problems.append(problem)

    def validate(self, model: type[M], doc: YamlDoc) -> M | None:
        try:
            return model.model_validate(doc.data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                name = ".".join(str(p) for p in loc if not isinstance(p, int)) or None
                self.add(UserError(vi_message(dict(err)), field=name, file=doc.display,
                                   line=doc.line_of(loc)))
            return None


def _files(root: Path, sub: str) -> list[Path]:
    folder = root / sub
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def _display(root: Path, path: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _read(root: Path, path: Path, col: _Collector) -> YamlDoc | None:
    try:
        return read_yaml(path, _display(root, path))
    except UserError as exc:
        col.add(exc)
        return None


def _has_inline_secret(url: str) -> bool:
    """A URL with a password or token written in the file instead of ${ENV}."""
    from danvan_workflow.adapters.channels.redact import url_secrets

    return any("${" not in s for s in url_secrets(url))


def _unit_matches(unit: UnitIn, sel: Selector) -> bool:
    return all(
        getattr(sel, key) is None or getattr(sel, key) == getattr(unit, key)
        for key in ("code", "kind", "level", "parent", "sector")
    )


def _rules_for(
    doc: YamlDoc, loc: tuple[str | int, ...], rule: Any, timing: str | None, col: _Collector,
    *, allow_none: bool,
) -> list[dict[str, Any]]:
    """Validate an explicit rule, or parse the plan's timing phrase."""
    raw = rule if isinstance(rule, list) else [rule] if rule is not None else []
    out: list[dict[str, Any]] = []
    if raw:
        for i, item in enumerate(raw):
            sub = (*loc, "rule", i) if isinstance(rule, list) else (*loc, "rule")
            try:
                parsed = RULE_ADAPTER.validate_python(item)
            except ValidationError as exc:
                for err in exc.errors():
                    col.add(doc.error((*sub, *err["loc"][1:]), "quy tắc lịch không hợp lệ: "
                                      + vi_message(dict(err))))
                continue
            out.append(parsed.model_dump(mode="json", exclude_none=True))
        return out
    if timing is None or not timing.strip():
        if not allow_none:
            col.add(doc.error((*loc, "timing"), "cần 'timing' hoặc 'rule' để tính hạn"))
        return []
    try:
        rules = parse_phrase(timing)
    except PhraseError as exc:
        col.add(doc.error((*loc, "timing"), str(exc)))
        return []
    return [r.model_dump(mode="json", exclude_none=True) for r in rules]


def load_config(root: Path) -> ConfigBundle:
    """Validate everything under `root`; raise ConfigErrors with every problem found."""
    col = _Collector()
    bundle = ConfigBundle(root=root)
    if not root.is_dir():
        raise UserError("không tìm thấy thư mục cấu hình", file=str(root))

    # units
    unit_docs: dict[str, YamlDoc] = {}
    for path in _files(root, "units"):
        doc = _read(root, path, col)
        if doc is None:
            continue
        model = col.validate(UnitsFile, doc)
        if model is None:
            continue
        for i, unit in enumerate(model.units):
            line = doc.line_of(("units", i))
            if unit.code in unit_docs:
                col.add(doc.error(("units", i, "code"),
                                  f"mã đơn vị '{unit.code}' bị trùng (đã có trong "
                                  f"{unit_docs[unit.code].display})"))
                continue
            unit_docs[unit.code] = doc
            bundle.units.append((unit, Located(doc.display, line)))
    units = {u.code: u for u, _ in bundle.units}
    for unit, loc in bundle.units:
        if unit.parent is not None and unit.parent not in units:
            col.add(UserError(f"đơn vị cấp trên '{unit.parent}' không tồn tại", field="parent",
                              file=loc.file, line=loc.line))
    # cycles: a unit that is its own ancestor
    reported: set[str] = set()
    for unit, loc in bundle.units:
        seen = [unit.code]
        cur = unit.parent
        while cur is not None and cur in units:
            if cur == unit.code:
                if unit.code not in reported:
                    chain = " → ".join([*seen, cur])
                    col.add(UserError(f"đơn vị '{unit.code}' là cấp trên của chính nó ({chain})",
                                      field="parent", file=loc.file, line=loc.line))
                    reported.update(seen)
                break
            if cur in seen:
                break
            seen.append(cur)
            cur = units[cur].parent

    def need_unit(doc: YamlDoc, loc: tuple[str | int, ...], code: str, what: str) -> None:
        if code not in units:
            col.add(doc.error(loc, f"mã đơn vị '{code}' không tồn tại ({what})"))

    # channels
    channel_codes: set[str] = set()
    path = root / "channels.yaml"
    if path.exists() and (doc := _read(root, path, col)) is not None:
        ch = col.validate(ChannelsFile, doc)
        if ch is not None:
            for i, c in enumerate(ch.channels):
                if c.code in channel_codes:
                    col.add(doc.error(("channels", i, "code"), f"mã kênh '{c.code}' bị trùng"))
                channel_codes.add(c.code)
                if _has_inline_secret(c.url):
                    col.add(doc.error(("channels", i, "url"),
                                      "không ghi mật khẩu/token vào tệp; dùng biến môi trường "
                                      "như ${DANVAN_SMTP_URL}"))
            bundle.channels = list(ch.channels)

    # contacts
    contact_codes: dict[str, str] = {}
    for path in _files(root, "contacts"):
        doc = _read(root, path, col)
        if doc is None:
            continue
        cf = col.validate(ContactsFile, doc)
        if cf is None:
            continue
        for i, ct in enumerate(cf.contacts):
            if ct.code in contact_codes:
                col.add(doc.error(("contacts", i, "code"),
                                  f"mã đầu mối '{ct.code}' bị trùng (đã có trong "
                                  f"{contact_codes[ct.code]})"))
                continue
            contact_codes[ct.code] = doc.display
            need_unit(doc, ("contacts", i, "unit"), ct.unit, "đơn vị của đầu mối")
            for j, chan in enumerate(ct.channels):
                if chan not in channel_codes:
                    col.add(doc.error(("contacts", i, "channels", j),
                                      f"kênh '{chan}' không có trong config/channels.yaml"))
            bundle.contacts.append((ct, Located(doc.display, doc.line_of(("contacts", i)))))

    # calendar overrides
    seen_days: dict[dt.date, str] = {}
    seen_years: dict[int, str] = {}
    for path in _files(root, "calendar"):
        doc = _read(root, path, col)
        if doc is None:
            continue
        cal = col.validate(CalendarFile, doc)
        if cal is None:
            continue
        if cal.year in seen_years:
            col.add(doc.error(("year",), f"năm {cal.year} đã được khai báo trong "
                                         f"{seen_years[cal.year]}"))
            continue
        seen_years[cal.year] = doc.display
        documents = [d.strip() for d in cal.documents]
        for i, text in enumerate(documents):
            if not text:
                col.add(doc.error(("documents", i), "tên văn bản không được để trống"))
        if cal.confirmed and not documents:
            col.add(doc.error(("confirmed",), f"lịch nghỉ năm {cal.year} đã xác nhận thì phải "
                                              "ghi văn bản công bố trong 'documents'"))
        bundle.calendar_years.append(
            CalendarYearIn(cal.year, cal.confirmed, [d for d in documents if d], doc.display))
        for key, kind in (("days_off", "day_off"), ("working_days", "working_day")):
            for i, day in enumerate(getattr(cal, key)):
                dloc: tuple[str | int, ...] = (key, i, "date")
                if day.date.year != cal.year:
                    col.add(doc.error(dloc, f"ngày {day.date:%d/%m/%Y} không thuộc năm {cal.year}"))
                    continue
                if day.date in seen_days:
                    col.add(doc.error(dloc, f"ngày {day.date:%d/%m/%Y} được khai báo hai lần"))
                    continue
                if kind == "working_day" and day.date.weekday() < 5:
                    col.add(doc.error(dloc, f"ngày làm bù {day.date:%d/%m/%Y} không phải "
                                           "Thứ Bảy hay Chủ nhật"))
                    continue
                seen_days[day.date] = doc.display
                bundle.calendar.append((
                    CalendarOverride(date=day.date, kind=kind,
                                     name=day.name,
                                     document=day.document),
                    Located(doc.display, doc.line_of(dloc)),
                ))

    # reminder policy
    path = root / "reminders.yaml"
    if path.exists() and (doc := _read(root, path, col)) is not None:
        rem = col.validate(RemindersFile, doc)
        if rem is not None:
            bundle.reminders = rem
            for i, code in enumerate(rem.operators):
                if code not in contact_codes:
                    col.add(doc.error(("operators", i), f"mã đầu mối '{code}' không tồn tại"))

    # plans
    plan_codes: dict[str, str] = {}
    for path in _files(root, "plans"):
        doc = _read(root, path, col)
        if doc is None:
            continue
        pf = col.validate(PlanFile, doc)
        if pf is None:
            continue
        if pf.plan.code in plan_codes:
            col.add(doc.error(("plan", "code"), f"số kế hoạch '{pf.plan.code}' bị trùng "
                                                f"(đã có trong {plan_codes[pf.plan.code]})"))
            continue
        plan_codes[pf.plan.code] = doc.display
        pb = PlanBundle(model=pf, doc=doc)
        need_unit(doc, ("plan", "issuer"), pf.plan.issuer, "cơ quan ban hành")
        _check_validity(doc, pf, col)
        numbers: set[str] = set()
        for i, task in enumerate(pf.tasks):
            if task.number in numbers:
                col.add(doc.error(("tasks", i, "number"), f"nhiệm vụ số {task.number} bị trùng"))
            numbers.add(task.number)
            for role in ("directing", "advising", "implementing"):
                for j, code in enumerate(getattr(task, role)):
                    need_unit(doc, ("tasks", i, role, j), code, f"nhiệm vụ {task.number}")
            pb.task_rules[task.number] = _rules_for(doc, ("tasks", i), task.rule, task.timing,
                                                    col, allow_none=True)
        ob_codes: set[str] = set()
        for i, ob in enumerate(pf.obligations):
            _check_obligation(doc, i, ob, ob_codes, numbers, need_unit, col)
            pb.obligation_rules[ob.code] = _rules_for(doc, ("obligations", i), ob.rule,
                                                      ob.timing, col, allow_none=False)
            reporters = list(dict.fromkeys(ob.reporters))
            for sel in ob.reporter_groups:
                if sel.parent is not None:
                    need_unit(doc, ("obligations", i, "reporter_groups"), sel.parent,
                              "nhóm đơn vị báo cáo")
                reporters += [u.code for u, _ in bundle.units
                              if _unit_matches(u, sel) and u.code not in reporters]
            if not reporters:
                col.add(doc.error(("obligations", i), "nghĩa vụ báo cáo không có đơn vị báo cáo"))
            pb.obligation_reporters[ob.code] = reporters
        for i, q in enumerate(pf.quotas):
            if q.selector.parent:
                need_unit(doc, ("quotas", i, "selector", "parent"), q.selector.parent, "hạn mức")
        if pf.scorecard:
            for i, body in enumerate(pf.scorecard.scoring_bodies):
                need_unit(doc, ("scorecard", "scoring_bodies", i, "scorer"), body.scorer,
                          "cơ quan chấm điểm")
                if body.due_rule is not None:
                    _rules_for(doc, ("scorecard", "scoring_bodies", i), body.due_rule, None, col,
                               allow_none=True)
        bundle.warnings += _open_ended_rules(doc, pf, pb)
        bundle.plans.append(pb)

    if col.problems:
        raise ConfigErrors(col.problems)
    return bundle


def _check_obligation(
    doc: YamlDoc, i: int, ob: ObligationIn, codes: set[str], numbers: set[str],
    need_unit: Any, col: _Collector,
) -> None:
    if ob.code in codes:
        col.add(doc.error(("obligations", i, "code"), f"mã nghĩa vụ '{ob.code}' bị trùng"))
    codes.add(ob.code)
    if ob.task is not None and ob.task not in numbers:
        col.add(doc.error(("obligations", i, "task"), f"nhiệm vụ số {ob.task} không có trong "
                                                      "kế hoạch"))
    need_unit(doc, ("obligations", i, "recipient"), ob.recipient, "nơi nhận báo cáo")
    for j, code in enumerate(ob.reporters):
        need_unit(doc, ("obligations", i, "reporters", j), code, "đơn vị báo cáo")


def _check_validity(doc: YamlDoc, pf: PlanFile, col: _Collector) -> None:
    p = pf.plan
    if p.valid_from and p.valid_until and p.valid_until < p.valid_from:
        col.add(doc.error(("plan", "valid_until"),
                          f"ngày hết hiệu lực {p.valid_until:%d/%m/%Y} trước ngày bắt đầu "
                          f"{p.valid_from:%d/%m/%Y}"))
    if p.recurs and p.valid_until is not None:
        col.add(doc.error(("plan", "recurs"),
                          "kế hoạch đã ghi 'valid_until' thì không ghi 'recurs: true'"))


def _open_ended_rules(doc: YamlDoc, pf: PlanFile, pb: PlanBundle) -> list[str]:
    """Rules with no end in a plan bound to one year (no valid_until, not recurring).

    They are cut at 31/12 of the plan's year; the warning asks the author to say so.
    """
    p = pf.plan
    if p.recurs or p.valid_until is not None:
        return []
    out: list[str] = []
    items = [(("tasks", i), pb.task_rules.get(t.number, [])) for i, t in enumerate(pf.tasks)]
    items += [(("obligations", i), pb.obligation_rules.get(ob.code, []))
              for i, ob in enumerate(pf.obligations)]
    for loc, rules in items:
        if any(r.get("kind") not in ("on_request",) and "valid_until" not in r
               and r.get("year") is None for r in rules):
            out.append(f"{doc.display}:{doc.line_of(loc)}: quy tắc không ghi ngày kết thúc "
                       f"trong kế hoạch năm {p.year}: chỉ áp dụng đến 31/12/{p.year} (ghi "
                       f"'valid_until' cho kế hoạch, hoặc 'recurs: true' nếu kế hoạch áp "
                       f"dụng nhiều năm)")
    return out
