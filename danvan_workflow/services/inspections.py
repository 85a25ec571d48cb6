"""Use cases for inspection rounds (đợt kiểm tra): create a round, record results, status.

Kinds: ``mid_year`` (kiểm tra 6 tháng đầu năm), ``year_end`` (kiểm tra cuối năm),
``ad_hoc`` (đột xuất). The report due date defaults to the plan's obligation
with a fixed rule in July (mid_year) or December (year_end), e.g. 25/7/2023 and
15/12/2023 for 26-KH/BCĐ; obligations whose title mentions "kiểm tra" are
preferred when several match.

Results vocabulary (`InspectionVisit.result`): ``dat`` ("Đạt"), ``khong_dat``
("Không đạt"), ``xuat_sac`` ("Xuất sắc"). Recording a result again corrects it
(audited with the old value). Recording a result does not move a model's
lifecycle state; that is `models_dvk.transition_model` (inspect_mid_year, ...).

Round codes default to ``<kind>-<year>`` (``mid_year-2026``), with ``-2``, ``-3``…
when taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.commands.inspections import OpenInspectionRound, RecordInspectionResult
from danvan_workflow.core.occurrences import occurrences
from danvan_workflow.core.rules import FixedRule, parse_rule
from danvan_workflow.core.vietnamese import days_left_text, format_date, nfc
from danvan_workflow.db.models import (
    DvkModel,
    InspectionRound,
    InspectionTeam,
    InspectionVisit,
    Obligation,
    Plan,
    Unit,
)
from danvan_workflow.errors import UserError
from danvan_workflow.inputs import as_date
from danvan_workflow.services import audit
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.notices import NoticeGroup, queue_notices
from danvan_workflow.services.queries import require_plan_year, resolve_plan, resolve_unit
from danvan_workflow.services.targets import check_year
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now
from danvan_workflow.timeutil import today as _today

KINDS = {"mid_year": "Kiểm tra 6 tháng đầu năm", "year_end": "Kiểm tra cuối năm",
         "ad_hoc": "Kiểm tra đột xuất"}
RESULTS = {"dat": "Đạt", "khong_dat": "Không đạt", "xuat_sac": "Xuất sắc"}
_KIND_MONTH = {"mid_year": 7, "year_end": 12}


@dataclass(frozen=True)
class RoundCreated:
    round_id: int
    code: str
    title: str
    kind: str
    year: int
    report_due_on: dt.date | None
    due_source: str | None  # the obligation the due date came from
    teams: int
    visits: int


@dataclass(frozen=True)
class ResultRecorded:
    round_code: str
    visit_id: int
    unit_code: str
    model_id: int | None
    result: str
    previous: str | None

    @property
    def result_label(self) -> str:
        return RESULTS[self.result]


@dataclass(frozen=True)
class VisitView:
    visit_id: int
    team: str
    unit_code: str
    unit_name: str
    model_id: int | None
    model_name: str | None
    visit_on: dt.date | None
    result: str | None
    findings: str | None

    @property
    def result_label(self) -> str:
        return RESULTS.get(self.result or "", "Chưa có kết quả")


@dataclass(frozen=True)
class RoundStatus:
    code: str
    title: str
    kind: str
    year: int
    report_due_on: dt.date | None
    days_left: int | None  # calendar days to the report due date (negative: overdue)
    days_left_text: str
    visits: list[VisitView] = field(default_factory=list)

    @property
    def done(self) -> list[VisitView]:
        return [v for v in self.visits if v.result]

    @property
    def missing(self) -> list[VisitView]:
        return [v for v in self.visits if not v.result]


def default_report_due(session: Session, plan: Plan, kind: str, year: int
                       ) -> tuple[dt.date | None, str | None]:
    """The due date of the plan's fixed-date report in July / December of `year`."""
    month = _KIND_MONTH.get(kind)
    if month is None:
        return None, None
    obs = session.execute(select(Obligation).where(Obligation.plan_id == plan.id)
                          .order_by(Obligation.code)).scalars().all()
    obs = sorted(obs, key=lambda o: "kiểm tra" not in nfc(o.title).lower())
    cal = calendar_for(session)
    for ob in obs:
        for raw in ob.rules or []:
            rule = parse_rule(raw)
            if not isinstance(rule, FixedRule) or rule.month != month:
                continue
            if rule.year is not None and rule.year != year:
                continue
            found = occurrences(rule, cal, dt.date(year, 1, 1), dt.date(year, 12, 31),
                                by_shift=get_settings().engine.by_shift)
            for occ in found:
                if occ.due is not None:
                    return occ.due, ob.code
    return None, None


def _round(session: Session, code: str) -> InspectionRound:
    r = session.execute(select(InspectionRound).where(InspectionRound.code == code)
                        ).scalar_one_or_none()
    if r is None:
        raise UserError(f"không có đợt kiểm tra mã '{code}'", field="round")
    return r


def _str(value: Any, field_name: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"cần nhập {what}", field=field_name)
    return nfc(value.strip())


def _date(value: Any, field_name: str) -> dt.date | None:
    return as_date(value, field_name)


def create_round(
    session: Session, *, plan_code: str, kind: str, year: int, title: str,
    report_due_on: dt.date | None = None, teams: Sequence[Mapping[str, Any]],
    actor: str, code: str | None = None,
) -> RoundCreated:
    """Create a round with its teams (members) and planned visits (units, optional models)."""
    plan = resolve_plan(session, plan_code, field="plan")
    if kind not in KINDS:
        raise UserError(f"loại đợt kiểm tra '{kind}' không hợp lệ; chọn: "
                        + ", ".join(f"{k} ({v})" for k, v in KINDS.items()), field="kind")
    require_plan_year(plan, check_year(year))
    text = _str(title, "title", "tên đợt kiểm tra")
    if report_due_on is not None and report_due_on.year not in (year, year + 1):
        raise UserError(f"hạn báo cáo {format_date(report_due_on)} không thuộc năm {year}",
                        field="report_due_on")
    source = None
    if report_due_on is None:
        report_due_on, source = default_report_due(session, plan, kind, year)
    if code is not None:
        code = _str(code, "code", "mã đợt kiểm tra")
        if session.execute(select(InspectionRound.id).where(InspectionRound.code == code)).first():
            raise UserError(f"mã đợt kiểm tra '{code}' đã có", field="code")
    else:
        base, n = f"{kind}-{year}", 1
        code = base
        while session.execute(select(InspectionRound.id).where(
                InspectionRound.code == code)).first():
            n += 1
            code = f"{base}-{n}"
    if not teams:
        raise UserError("cần ít nhất một tổ/đoàn kiểm tra", field="teams")
    # validate everything before writing anything
    planned: list[tuple[str, list[dict[str, str]], list[tuple[int, int | None, dt.date | None]]]]
    planned = []
    for i, team in enumerate(teams):
        where = f"teams[{i}]"
        if not isinstance(team, Mapping):
            raise UserError("mỗi tổ kiểm tra phải có name, members, visits", field=where)
        unknown = sorted(set(team) - {"name", "members", "visits"})
        if unknown:
            raise UserError(f"trường không được hỗ trợ: {', '.join(unknown)}",
                            field=f"{where}.{unknown[0]}")
        name = _str(team.get("name"), f"{where}.name", "tên tổ kiểm tra")
        members = []
        for j, mem in enumerate(team.get("members") or []):
            if not isinstance(mem, Mapping):
                raise UserError("thành viên cần name và role", field=f"{where}.members[{j}]")
            members.append({"name": _str(mem.get("name"), f"{where}.members[{j}].name",
                                         "họ tên thành viên"),
                            "role": nfc(str(mem.get("role") or "").strip())})
        visits: list[tuple[int, int | None, dt.date | None]] = []
        for j, v in enumerate(team.get("visits") or []):
            vw = f"{where}.visits[{j}]"
            if not isinstance(v, Mapping):
                raise UserError("mỗi lượt kiểm tra cần unit", field=vw)
            unit = resolve_unit(session, _str(v.get("unit"), f"{vw}.unit", "mã đơn vị"),
                                field=f"{vw}.unit")
            model_id = v.get("model_id")
            if model_id is not None:
                model = session.get(DvkModel, model_id) if isinstance(model_id, int) else None
                if model is None:
                    raise UserError(f"không có mô hình số {model_id}", field=f"{vw}.model_id")
                if model.unit_id != unit.id:
                    raise UserError(nfc(f"mô hình số {model_id} không thuộc đơn vị "
                                        f"'{unit.code}'"), field=f"{vw}.model_id")
            key = (unit.id, model_id, _date(v.get("visit_on"), f"{vw}.visit_on"))
            if any(k[:2] == key[:2] for k in visits):
                raise UserError(nfc(f"đơn vị '{unit.code}' được kiểm tra hai lần trong tổ "
                                    f"'{name}'"), field=vw)
            visits.append(key)
        planned.append((name, members, visits))
    r = InspectionRound(code=code, plan_id=plan.id, kind=kind, year=year, title=text,
                        report_due_on=report_due_on, status="open", created_at=now())
    session.add(r)
    session.flush()
    n_visits = 0
    for name, members, visits in planned:
        t = InspectionTeam(round_id=r.id, name=name, members=members)
        session.add(t)
        session.flush()
        for unit_id, model_id, visit_on in visits:
            session.add(InspectionVisit(team_id=t.id, unit_id=unit_id, model_id=model_id,
                                        visit_on=visit_on))
            n_visits += 1
    session.flush()
    audit.record(session, actor=actor, action="inspection.created", entity="inspection_round",
                 entity_id=code, after={"kind": kind, "year": year, "title": text,
                                        "report_due_on": report_due_on.isoformat()
                                        if report_due_on else None,
                                        "teams": len(planned), "visits": n_visits})
    return RoundCreated(r.id, code, text, kind, year, report_due_on, source, len(planned),
                        n_visits)


def record_result(
    session: Session, *, round_code: str, unit_code: str, model_id: int | None, result: str,
    findings: str | None, visit_on: dt.date | None, actor: str, today: dt.date | None = None,
) -> ResultRecorded:
    """Record the result of a planned visit (the unit, and the model when given)."""
    r = _round(session, round_code)
    unit = resolve_unit(session, unit_code, field="unit")
    if result not in RESULTS:
        raise UserError(f"kết quả '{result}' không hợp lệ; chọn: "
                        + ", ".join(f"{k} ({v})" for k, v in RESULTS.items()), field="result")
    day = today or _today()
    if visit_on is not None:
        if visit_on > day:
            raise UserError(f"ngày kiểm tra {format_date(visit_on)} ở tương lai",
                            field="visit_on")
        if visit_on.year < r.year:
            raise UserError(nfc(f"ngày kiểm tra {format_date(visit_on)} trước năm {r.year} "
                                "của đợt kiểm tra"), field="visit_on")
    q = (select(InspectionVisit).join(InspectionTeam, InspectionTeam.id == InspectionVisit.team_id)
         .where(InspectionTeam.round_id == r.id, InspectionVisit.unit_id == unit.id)
         .order_by(InspectionVisit.id))
    q = q.where(InspectionVisit.model_id.is_(None) if model_id is None
                else InspectionVisit.model_id == model_id)
    visit = session.execute(q).scalars().first()
    if visit is None:
        what = f"mô hình số {model_id} của đơn vị" if model_id is not None else "đơn vị"
        raise UserError(nfc(f"{what} '{unit.code}' không có trong danh sách kiểm tra của đợt "
                            f"'{r.code}'"), field="model_id" if model_id is not None else "unit")
    previous = visit.result
    before = {"result": visit.result, "findings": visit.findings,
              "visit_on": visit.visit_on.isoformat() if visit.visit_on else None}
    visit.result = result
    visit.findings = nfc(findings.strip()) if findings and findings.strip() else visit.findings
    visit.visit_on = visit_on or visit.visit_on
    visit.recorded_by = actor
    visit.recorded_at = now()
    session.flush()
    audit.record(session, actor=actor, action="inspection.result", entity="inspection_visit",
                 entity_id=visit.id, before=before if previous else None,
                 after={"round": r.code, "unit": unit.code, "model_id": model_id,
                        "result": result, "findings": visit.findings,
                        "visit_on": visit.visit_on.isoformat() if visit.visit_on else None})
    return ResultRecorded(r.code, visit.id, unit.code, model_id, result, previous)


def round_status(session: Session, round_code: str, today: dt.date | None = None) -> RoundStatus:
    """Every planned visit with or without a result, and the time left to the report."""
    r = _round(session, round_code)
    day = today or _today()
    rows = session.execute(
        select(InspectionVisit, InspectionTeam.name, Unit.code, Unit.name, DvkModel.name)
        .join(InspectionTeam, InspectionTeam.id == InspectionVisit.team_id)
        .join(Unit, Unit.id == InspectionVisit.unit_id)
        .outerjoin(DvkModel, DvkModel.id == InspectionVisit.model_id)
        .where(InspectionTeam.round_id == r.id)
        .order_by(InspectionTeam.id, Unit.code, InspectionVisit.id)).tuples().all()
    visits = [VisitView(v.id, team, ucode, uname, v.model_id, mname, v.visit_on, v.result,
                        v.findings) for v, team, ucode, uname, mname in rows]
    if r.report_due_on is None:
        left, text = None, "Chưa có hạn báo cáo"
    else:
        left = (r.report_due_on - day).days
        text = days_left_text(r.report_due_on, day, calendar_for(session))
    return RoundStatus(r.code, r.title, r.kind, r.year, r.report_due_on, left, text, visits)


# --------------------------------------------------------------------------- commands and views


@dataclass(frozen=True)
class RoundOpened:
    """A created round and the visit notices queued for the visited units' focal points."""

    created: RoundCreated
    queued: int


def round_visit_notices(session: Session, round_code: str) -> list[NoticeGroup]:
    """One notice per visited unit's focal point: the team, the date, the report due."""
    st = round_status(session, round_code)
    unit_ids = dict(session.execute(select(Unit.code, Unit.id)).tuples().all())
    groups = []
    for v in st.visits:
        when = format_date(v.visit_on) if v.visit_on else "sẽ thông báo sau"
        what = f" mô hình “{v.model_name}”" if v.model_name else ""
        groups.append(NoticeGroup(
            f"r{v.visit_id}"[:40], "inspection",
            nfc(f"Lịch kiểm tra: {st.title}")[:300],
            nfc(f"Kính gửi đồng chí đầu mối {v.unit_name},\n"
                f"{v.team} sẽ kiểm tra{what} tại đơn vị (ngày {when}) trong {st.title}. "
                f"Đề nghị đơn vị chuẩn bị báo cáo và hồ sơ liên quan. Trân trọng."),
            [unit_ids[v.unit_code]]))
    return groups


def _create(session: Session, cmd: OpenInspectionRound) -> RoundCreated:
    return create_round(session, plan_code=cmd.plan, kind=cmd.kind, year=cmd.year,
                        title=cmd.title, report_due_on=cmd.report_due_on, actor=cmd.operator,
                        teams=[t.model_dump(mode="python") for t in cmd.teams], code=cmd.code)


def create_inspection_round(cmd: OpenInspectionRound) -> RoundCreated:
    """The command "create a round" (teams and visits), in its own transaction."""
    with unit_of_work() as s:
        return _create(s, cmd)


def open_inspection_round(cmd: OpenInspectionRound, day: dt.date | None = None) -> RoundOpened:
    """Create a round and tell every visited unit (outbox), in one transaction."""
    with unit_of_work() as s:
        created = _create(s, cmd)
        notices = round_visit_notices(s, created.code)
        return RoundOpened(created, queue_notices(s, notices, day or _today()))


def record_inspection_result(cmd: RecordInspectionResult) -> ResultRecorded:
    """The command "record a visit's result", in its own transaction."""
    with unit_of_work() as s:
        return record_result(s, round_code=cmd.round_code, unit_code=cmd.unit,
                             model_id=cmd.model_id, result=cmd.result, findings=cmd.findings,
                             visit_on=cmd.visit_on, actor=cmd.operator)


def view_round_status(round_code: str, day: dt.date | None = None) -> RoundStatus:
    """A round's visits with and without a result (read only)."""
    with unit_of_work() as s:
        return round_status(s, round_code, day)
