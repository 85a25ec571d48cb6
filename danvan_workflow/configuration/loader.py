"""Read and validate the whole `config/` folder; report every problem with file and line.

Nothing here touches the database: `load_config` returns a validated
`ConfigBundle` or raises `ConfigErrors` listing every problem found.

One mistake gives one message: an item that fails validation (or a file that cannot
be read) makes its codes "broken", and references to broken codes are not reported
again (a misspelt key in a unit used to yield a "does not exist" error for every
contact and plan naming that unit). A misspelt field is one message ("có phải
'kind'?"), not "unknown field" plus "missing field", and at most
`MAX_ERRORS_PER_FILE` messages are listed per file.

Items remember their file relative to the configuration folder ("plans/x.yaml",
`Located.file`, stored as `source_file`), so the same files loaded from a folder of
another name compare equal; messages name them as the user sees them
(`Located.display`: "config/plans/x.yaml").
"""

from __future__ import annotations

import datetime as dt
import difflib
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
from danvan_workflow.core.url_secrets import literal_secret
from danvan_workflow.errors import ConfigErrors, UserError

M = TypeVar("M", bound=BaseModel)


MAX_ERRORS_PER_FILE = 30

# sub-folders of config/ holding lists of files (others are single files at the top)
SUBFOLDERS = ("units", "contacts", "plans", "calendar")


@dataclass
class Located:
    """A validated item and where it came from: `file` relative to the configuration
    folder (stored as `source_file`), `display` as messages name it."""

    file: str
    line: int
    display: str = ""

    def __post_init__(self) -> None:
        self.display = self.display or self.file


def source_key(value: str | None) -> str | None:
    """A stored `source_file` without the configuration folder's name.

    Rows written before sources were relative hold "config/plans/x.yaml" (the folder's
    name first); they compare equal to "plans/x.yaml", whatever the folder was called.
    """
    if not value:
        return value
    parts = value.replace("\\", "/").split("/")
    if len(parts) >= 3 and parts[-2] in SUBFOLDERS:
        return "/".join(parts[-2:])
    if len(parts) == 2 and parts[0] not in SUBFOLDERS:
        return parts[1]
    return value


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
        # codes of items that failed (unit, contact, channel, plan): not reported again
        # when something refers to them
        self.broken: dict[str, set[str]] = {}
        # kinds with a file that could not be read at all: any code may have been there
        self.unreadable: set[str] = set()

    def add(self, problem: UserError) -> None:
        self.problems.append(problem)

    def is_broken(self, kind: str, code: str | None) -> bool:
        return code is not None and (kind in self.unreadable
                                     or code in self.broken.get(kind, set()))

    def break_codes(self, kind: str, codes: set[str]) -> None:
        self.broken.setdefault(kind, set()).update(codes)

    def validate(self, model: type[M], doc: YamlDoc,
                 codes: tuple[str, str] | None = None) -> M | None:
        """Validate a whole file. On failure, `codes` = (list key, kind) marks the codes
        of that list broken (references to them are then not reported)."""
        try:
            return model.model_validate(doc.data)
        except ValidationError as exc:
            for loc, message in _item_errors(exc):
                name = ".".join(str(p) for p in loc if not isinstance(p, int)) or None
                self.add(UserError(message, field=name, file=doc.display,
                                   line=doc.line_of(loc)))
            if codes is not None:
                self.break_codes(codes[1], _codes_in(doc.data, codes[0]))
            return None

    def capped(self) -> list[UserError]:
        """At most MAX_ERRORS_PER_FILE problems per file, then one line saying how many
        more there are."""
        out: list[UserError] = []
        per_file: dict[str | None, int] = {}
        for p in self.problems:
            n = per_file[p.file] = per_file.get(p.file, 0) + 1
            if n <= MAX_ERRORS_PER_FILE:
                out.append(p)
        for file, n in per_file.items():
            if n > MAX_ERRORS_PER_FILE:
                out.append(UserError(f"còn {n - MAX_ERRORS_PER_FILE} lỗi khác trong tệp "
                                     "này; sửa các lỗi trên rồi kiểm tra lại", file=file))
        return out


def _item_errors(exc: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """pydantic's errors, one per field: a misspelt key ("kindd") is one message naming
    the expected key, not "unknown field" plus "missing field"; the alternatives of a
    union (several errors for one value) give the first only."""
    errors = [(tuple(e["loc"]), dict(e)) for e in exc.errors()]
    missing = [loc for loc, e in errors if e["type"] == "missing"]
    used: set[tuple[str | int, ...]] = set()  # missing fields explained by a misspelling
    guess: dict[tuple[str | int, ...], str] = {}
    for loc, err in errors:
        if err["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            names = [str(m[-1]) for m in missing if m[:-1] == loc[:-1] and m not in used]
            close = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.6)
            if close:
                used.add((*loc[:-1], close[0]))
                guess[loc] = close[0]
    out: list[tuple[tuple[str | int, ...], str]] = []
    seen_fields: set[tuple[str | int, ...]] = set()
    for loc, err in errors:
        if loc in used:
            continue
        if loc in guess:
            out.append((loc, f"trường không có trong mẫu cấu hình; có phải '{guess[loc]}'?"))
            continue
        # a field is the path up to its last name (union members add type names)
        names_only = [p for p in loc if isinstance(p, int) or not p.startswith(
            ("dict[", "list[", "function-", "tagged-union[", "union["))]
        key = tuple(names_only)
        if key in seen_fields:
            continue
        seen_fields.add(key)
        out.append((key, vi_message(err)))
    return out


def _codes_in(data: Any, key: str) -> set[str]:
    """The `code` of every item of data[key] (or data[key]['code'] for a mapping)."""
    if not isinstance(data, dict):
        return set()
    items = data.get(key)
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return set()
    return {str(it["code"]) for it in items if isinstance(it, dict) and it.get("code")}


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


def _source(root: Path, path: Path) -> str:
    """The file relative to the configuration folder: "plans/x.yaml"."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read(root: Path, path: Path, col: _Collector, kind: str | None = None
          ) -> YamlDoc | None:
    """Read one file; if it cannot be read, the codes it spells out (`kind`) are broken."""
    try:
        return read_yaml(path, _display(root, path), _source(root, path))
    except UserError as exc:
        col.add(exc)
        if kind is not None:
            col.unreadable.add(kind)
        return None


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
    if not any(_files(root, sub) for sub in SUBFOLDERS) and not any(
            (root / name).exists() for name in ("channels.yaml", "reminders.yaml")):
        # loading nothing would archive every unit, contact and plan
        raise UserError("thư mục cấu hình trống: cần các thư mục units/, contacts/, plans/ "
                        "và tệp channels.yaml, reminders.yaml", file=root.name or str(root))

    # units
    unit_docs: dict[str, YamlDoc] = {}
    if not _files(root, "units"):
        col.add(UserError("chưa có tệp đơn vị nào (units/*.yaml); mọi đầu mối và kế hoạch "
                          "đều cần đơn vị", file=f"{root.name}/units"))
    for path in _files(root, "units"):
        doc = _read(root, path, col, "unit")
        if doc is None:
            continue
        model = col.validate(UnitsFile, doc, ("units", "unit"))
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
            bundle.units.append((unit, Located(doc.source, line, doc.display)))
    units = {u.code: u for u, _ in bundle.units}
    no_units = not units  # every reference would fail: said once above, or by the files
    for unit, loc in bundle.units:
        if unit.parent is not None and unit.parent not in units and not col.is_broken(
                "unit", unit.parent):
            col.add(UserError(f"đơn vị cấp trên '{unit.parent}' không tồn tại", field="parent",
                              file=loc.display, line=loc.line))
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
                                      field="parent", file=loc.display, line=loc.line))
                    reported.update(seen)
                break
            if cur in seen:
                break
            seen.append(cur)
            cur = units[cur].parent

    def need_unit(doc: YamlDoc, loc: tuple[str | int, ...], code: str, what: str) -> None:
        if code not in units and not no_units and not col.is_broken("unit", code):
            col.add(doc.error(loc, f"mã đơn vị '{code}' không tồn tại ({what})"))

    # channels
    channel_codes: set[str] = set()
    path = root / "channels.yaml"
    if path.exists() and (doc := _read(root, path, col, "channel")) is not None:
        ch = col.validate(ChannelsFile, doc, ("channels", "channel"))
        if ch is not None:
            for i, c in enumerate(ch.channels):
                if c.code in channel_codes:
                    col.add(doc.error(("channels", i, "code"), f"mã kênh '{c.code}' bị trùng"))
                channel_codes.add(c.code)
                secret = literal_secret(c.url)  # the value is never echoed
                if secret is not None:
                    col.add(doc.error(("channels", i, "url"),
                                      f"URL kênh '{c.code}' ghi thẳng {secret} vào tệp; không "
                                      "ghi mật khẩu/token vào tệp cấu hình, dùng biến môi "
                                      "trường như ${DANVAN_SMTP_URL}"))
            bundle.channels = list(ch.channels)

    # contacts
    contact_codes: dict[str, str] = {}
    for path in _files(root, "contacts"):
        doc = _read(root, path, col, "contact")
        if doc is None:
            continue
        cf = col.validate(ContactsFile, doc, ("contacts", "contact"))
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
                if chan not in channel_codes and not col.is_broken("channel", chan):
                    col.add(doc.error(("contacts", i, "channels", j),
                                      f"kênh '{chan}' không có trong config/channels.yaml"))
            bundle.contacts.append((ct, Located(doc.source, doc.line_of(("contacts", i)),
                                                doc.display)))

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
                    Located(doc.source, doc.line_of(dloc), doc.display),
                ))

    # reminder policy
    path = root / "reminders.yaml"
    reminders_doc: YamlDoc | None = None
    if path.exists() and (doc := _read(root, path, col)) is not None:
        rem = col.validate(RemindersFile, doc)
        if rem is not None:
            bundle.reminders = rem
            reminders_doc = doc
            for i, code in enumerate(rem.operators):
                if code not in contact_codes and not col.is_broken("contact", code):
                    col.add(doc.error(("operators", i), f"mã đầu mối '{code}' không tồn tại"))

    # plans
    plan_codes: dict[str, str] = {}
    for path in _files(root, "plans"):
        doc = _read(root, path, col, "plan")
        if doc is None:
            continue
        pf = col.validate(PlanFile, doc, ("plan", "plan"))
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
            if not reporters and not no_units and not col.broken.get("unit"):
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

    if reminders_doc is not None:
        _check_overrides(reminders_doc, bundle, col)
    if col.problems:
        raise ConfigErrors(col.capped())
    return bundle


def _check_overrides(doc: YamlDoc, bundle: ConfigBundle, col: _Collector) -> None:
    """reminders.yaml `overrides` name a plan of config/plans (and one of its obligations),
    at most once each: an override nobody matches would be silently ignored."""
    obligations = {pb.model.plan.code: {ob.code for ob in pb.model.obligations}
                   for pb in bundle.plans}
    seen: set[tuple[str, str | None]] = set()
    for i, o in enumerate(bundle.reminders.overrides):
        if o.plan is None:
            col.add(doc.error(("overrides", i), "mục ghi đè lịch nhắc phải ghi 'plan' (số kế "
                                                "hoạch)" + (" cùng với 'obligation'"
                                                            if o.obligation else "")))
            continue
        if o.plan not in obligations:
            if not col.is_broken("plan", o.plan):
                col.add(doc.error(("overrides", i, "plan"),
                                  f"kế hoạch '{o.plan}' không có trong config/plans"))
            continue
        if o.obligation is not None and o.obligation not in obligations[o.plan]:
            col.add(doc.error(("overrides", i, "obligation"),
                              f"kế hoạch '{o.plan}' không có nghĩa vụ báo cáo mã "
                              f"'{o.obligation}'"))
            continue
        if (o.plan, o.obligation) in seen:
            col.add(doc.error(("overrides", i), "mục ghi đè lịch nhắc này bị trùng"))
        seen.add((o.plan, o.obligation))


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
