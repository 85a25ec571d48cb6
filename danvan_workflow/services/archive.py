"""Recorded facts are never lost silently: archive, restore, delete for real, close a year.

* A plan, unit or contact that leaves config/ is archived by the config load
  (configuration/apply.py), one that comes back is restored. `note_archive_changes`
  says in words what that kept (deadlines, reports received) and audits each one.
  Archived entities produce no work: no new deadlines (services/materialise.py), no
  reminders (services/reminders.py), not in current lists and dashboards.
* `delete_plan` / `delete_unit` really delete an archived one, only when its code is
  retyped, after writing every deadline, submission, score and message of it to a
  JSON export in the data folder; the deletion is one transaction, audited with the
  export's path.
* `close_year` marks a past year's open deadlines ``closed`` ("Đã đóng (không nộp)")
  in one UPDATE, audited in one INSERT ... SELECT.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    String,
    Table,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from danvan_workflow.commands.archive import CloseYear, DeletePlan, DeleteUnit
from danvan_workflow.configuration.apply import ChangeReport
from danvan_workflow.core.deadline_status import OPEN_STATES, DeadlineState
from danvan_workflow.core.vietnamese import format_date, nfc
from danvan_workflow.db import models as m
from danvan_workflow.db.types import sql_instant
from danvan_workflow.errors import UserError
from danvan_workflow.services import audit
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now
from danvan_workflow.timeutil import today as _today

KIND_WORDS = {"plan": "kế hoạch", "unit": "đơn vị", "contact": "đầu mối"}


# --------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class Kept:
    deadlines: int
    submissions: int

    def text(self) -> str:
        return f"{self.deadlines} hạn, {self.submissions} báo cáo đã nộp"


def _plan_deadlines(plan_id: int) -> Any:
    D, O = m.tbl(m.Deadline), m.tbl(m.Obligation)
    return select(D.c.id).where(D.c.obligation_id.in_(
        select(O.c.id).where(O.c.plan_id == plan_id)))


def _unit_deadlines(unit_id: int) -> Any:
    D, MOD = m.tbl(m.Deadline), m.tbl(m.DvkModel)
    return select(D.c.id).where(or_(D.c.unit_id == unit_id, D.c.model_id.in_(
        select(MOD.c.id).where(MOD.c.unit_id == unit_id))))


def _kept(session: Session, deadline_ids: Any) -> Kept:
    D, S = m.tbl(m.Deadline), m.tbl(m.Submission)
    n = session.execute(select(func.count()).where(D.c.id.in_(deadline_ids))).scalar_one()
    k = session.execute(select(func.count()).where(S.c.deadline_id.in_(deadline_ids))
                        ).scalar_one()
    return Kept(int(n), int(k))


def archived_codes(session: Session) -> tuple[set[str], set[str]]:
    """Codes of the archived plans and units (to leave them out of current views)."""
    P, U = m.tbl(m.Plan), m.tbl(m.Unit)
    plans = set(session.execute(select(P.c.code).where(P.c.archived_at.is_not(None))).scalars())
    units = set(session.execute(select(U.c.code).where(U.c.archived_at.is_not(None))).scalars())
    return plans, units


# --------------------------------------------------------------------------- config load


def _entity(row: Any) -> m.Plan | m.Unit | m.Contact:
    assert isinstance(row, m.Plan | m.Unit | m.Contact)
    return row


def note_archive_changes(session: Session, report: ChangeReport, actor: str) -> list[str]:
    """Words for what the load archived or restored; one audit entry each.

    Restored plans' obligations join `report.changed_obligation_ids`, so deadlines
    missed while archived are materialised by the same load.
    """
    notes: list[str] = []
    models: list[tuple[str, str, type[m.Plan] | type[m.Unit] | type[m.Contact]]] = [
        ("plans", "plan", m.Plan), ("units", "unit", m.Unit), ("contacts", "contact", m.Contact)]
    for table, kind, model in models:
        ch = report.tables.get(table)
        if ch is None:
            continue
        for verb, codes in (("archived", ch.archived), ("restored", ch.restored)):
            for code in codes:
                row = _entity(session.execute(
                    select(model).where(model.code == code)).scalar_one())
                after: dict[str, Any] = {"archived_at": row.archived_at.isoformat()
                                         if row.archived_at else None}
                text = f"{'Lưu trữ' if verb == 'archived' else 'Khôi phục'} {KIND_WORDS[kind]} "
                if isinstance(row, m.Contact):
                    N = m.tbl(m.Notification)
                    n = session.execute(select(func.count()).where(
                        N.c.contact_id == row.id)).scalar_one()
                    text += f"{code} ({row.name}): {n} nhắc hạn đã lập"
                    after["notifications"] = int(n)
                else:
                    kept = _kept(session, _plan_deadlines(row.id) if isinstance(row, m.Plan)
                                 else _unit_deadlines(row.id))
                    text += f"{code}: {kept.text()}"
                    after |= {"deadlines": kept.deadlines, "submissions": kept.submissions}
                    if isinstance(row, m.Plan) and verb == "restored":
                        O = m.tbl(m.Obligation)
                        report.changed_obligation_ids |= set(session.execute(
                            select(O.c.id).where(O.c.plan_id == row.id)).scalars())
                notes.append(nfc(text))
                audit.record(session, actor=actor, action=f"{kind}.{verb}", entity=kind,
                             entity_id=code, after=after, note=nfc(text))
    return notes


# --------------------------------------------------------------------------- delete


@dataclass
class Deletion:
    """What deleting one archived plan or unit removes, table by table."""

    kind: str  # "plan" | "unit"
    code: str
    name: str
    entity_id: int
    archived_at: dt.datetime | None
    # export name -> (table, condition); in export order
    parts: dict[str, tuple[Table, ColumnElement[bool]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    message_ids: list[int] = field(default_factory=list)  # outbox messages to delete

    def lines(self) -> list[str]:
        label = {"deadlines": "hạn báo cáo", "submissions": "báo cáo đã nộp",
                 "scores": "điểm thi đua", "notifications": "nhắc hạn đã lập",
                 "messages": "thông báo trong hộp thư đi", "obligations": "nghĩa vụ báo cáo",
                 "tasks": "nhiệm vụ", "contacts": "đầu mối", "models": "mô hình Dân vận khéo",
                 "inspection_visits": "lượt kiểm tra", "unit_facts": "sự kiện đã ghi nhận"}
        return [f"  {label[k]}: {v}" for k, v in self.counts.items() if k in label]


def _find(session: Session, kind: str, code: str) -> m.Plan | m.Unit:
    row: m.Plan | m.Unit | None = (
        session.execute(select(m.Plan).where(m.Plan.code == code)).scalar_one_or_none()
        if kind == "plan" else
        session.execute(select(m.Unit).where(m.Unit.code == code)).scalar_one_or_none())
    if row is None:
        raise UserError(nfc(f"không có {KIND_WORDS[kind]} mã '{code}'"))
    if row.archived_at is None:
        where = "tệp kế hoạch" if kind == "plan" else "mục đơn vị"
        raise UserError(nfc(
            f"{KIND_WORDS[kind]} {code} đang có trong cấu hình nên không xóa được. Hãy bỏ "
            f"{where} khỏi thư mục config/ rồi chạy 'danvan config load' ({KIND_WORDS[kind]} "
            "sẽ được lưu trữ), sau đó mới xóa hẳn."))
    return row


def _refuse_if_referenced(session: Session, unit: m.Unit) -> None:
    """A unit named by a plan (issuer, recipient, scorer) goes only with that plan."""
    P, O, SB = m.tbl(m.Plan), m.tbl(m.Obligation), m.tbl(m.ScoringBody)
    plans = sorted(set(session.execute(select(P.c.code).where(or_(
        P.c.issuer_id == unit.id,
        P.c.id.in_(select(O.c.plan_id).where(O.c.recipient_id == unit.id)),
        P.c.id.in_(select(SB.c.plan_id).where(SB.c.scorer_id == unit.id)),
    ))).scalars()))
    if plans:
        raise UserError(nfc(
            f"đơn vị {unit.code} còn được nêu trong kế hoạch {', '.join(plans)} (cơ quan ban "
            "hành, nơi nhận báo cáo hoặc cơ quan chấm điểm); hãy xóa hẳn các kế hoạch đó "
            "trước"))


def plan_deletion(session: Session, code: str) -> Deletion:
    """What `delete_plan` would remove; refused unless the plan is archived."""
    plan = _find(session, "plan", code)
    assert isinstance(plan, m.Plan)
    t = m.tbl
    D, N, MSG = t(m.Deadline), t(m.Notification), t(m.OutboxMessage)
    dl = _plan_deadlines(plan.id)
    tasks = select(t(m.PlanTask).c.id).where(t(m.PlanTask).c.plan_id == plan.id)
    obs = select(t(m.Obligation).c.id).where(t(m.Obligation).c.plan_id == plan.id)
    crit = select(t(m.ScoreCriterion).c.id).where(t(m.ScoreCriterion).c.plan_id == plan.id)
    msgs = select(N.c.message_id).where(N.c.deadline_id.in_(dl), N.c.message_id.is_not(None))
    parts = {
        "plan": (t(m.Plan), t(m.Plan).c.id == plan.id),
        "tasks": (t(m.PlanTask), t(m.PlanTask).c.plan_id == plan.id),
        "task_units": (t(m.PlanTaskUnit), t(m.PlanTaskUnit).c.task_id.in_(tasks)),
        "obligations": (t(m.Obligation), t(m.Obligation).c.plan_id == plan.id),
        "obligation_reporters": (t(m.ObligationReporter),
                                 t(m.ObligationReporter).c.obligation_id.in_(obs)),
        "deadlines": (D, D.c.id.in_(dl)),
        "submissions": (t(m.Submission), t(m.Submission).c.deadline_id.in_(dl)),
        "notifications": (N, N.c.deadline_id.in_(dl)),
        "messages": (MSG, MSG.c.id.in_(msgs)),
        "delivery_attempts": (t(m.DeliveryAttempt), t(m.DeliveryAttempt).c.message_id.in_(msgs)),
        "quotas": (t(m.Quota), t(m.Quota).c.plan_id == plan.id),
        "score_criteria": (t(m.ScoreCriterion), t(m.ScoreCriterion).c.plan_id == plan.id),
        "scores": (t(m.Score), t(m.Score).c.criterion_id.in_(crit)),
        "classification_thresholds": (t(m.ClassificationThreshold),
                                      t(m.ClassificationThreshold).c.plan_id == plan.id),
        "scoring_bodies": (t(m.ScoringBody), t(m.ScoringBody).c.plan_id == plan.id),
        "targets": (t(m.Target), t(m.Target).c.plan_id == plan.id),
    }
    # a digest message also listing other plans' deadlines stays (with those)
    orphan = ~select(literal(1)).where(N.c.message_id == MSG.c.id,
                                       N.c.deadline_id.not_in(dl)).exists()
    return _deletion(session, "plan", plan, plan.title, parts, and_(MSG.c.id.in_(msgs), orphan))


def unit_deletion(session: Session, code: str) -> Deletion:
    """What `delete_unit` would remove; refused unless the unit is archived and unnamed."""
    unit = _find(session, "unit", code)
    assert isinstance(unit, m.Unit)
    _refuse_if_referenced(session, unit)
    t = m.tbl
    D, N, MSG, C = t(m.Deadline), t(m.Notification), t(m.OutboxMessage), t(m.Contact)
    MOD, IV = t(m.DvkModel), t(m.InspectionVisit)
    dl = _unit_deadlines(unit.id)
    contacts = select(C.c.id).where(C.c.unit_id == unit.id)
    models = select(MOD.c.id).where(MOD.c.unit_id == unit.id)
    gone_n = or_(N.c.deadline_id.in_(dl), N.c.contact_id.in_(contacts))
    msgs = select(MSG.c.id).where(or_(
        MSG.c.contact_id.in_(contacts),
        MSG.c.id.in_(select(N.c.message_id).where(gone_n, N.c.message_id.is_not(None)))))
    parts = {
        "unit": (t(m.Unit), t(m.Unit).c.id == unit.id),
        "contacts": (C, C.c.unit_id == unit.id),
        "contact_channels": (t(m.ContactChannel),
                             t(m.ContactChannel).c.contact_id.in_(contacts)),
        "deadlines": (D, D.c.id.in_(dl)),
        "submissions": (t(m.Submission), t(m.Submission).c.deadline_id.in_(dl)),
        "notifications": (N, gone_n),
        "messages": (MSG, MSG.c.id.in_(msgs)),
        "delivery_attempts": (t(m.DeliveryAttempt), t(m.DeliveryAttempt).c.message_id.in_(msgs)),
        "scores": (t(m.Score), t(m.Score).c.unit_id == unit.id),
        "unit_facts": (t(m.UnitFact), t(m.UnitFact).c.unit_id == unit.id),
        "models": (MOD, MOD.c.unit_id == unit.id),
        "model_transitions": (t(m.ModelTransition),
                              t(m.ModelTransition).c.model_id.in_(models)),
        "inspection_visits": (IV, or_(IV.c.unit_id == unit.id, IV.c.model_id.in_(models))),
        "obligation_reporters": (t(m.ObligationReporter),
                                 t(m.ObligationReporter).c.unit_id == unit.id),
        "task_units": (t(m.PlanTaskUnit), t(m.PlanTaskUnit).c.unit_id == unit.id),
    }
    orphan = ~select(literal(1)).where(N.c.message_id == MSG.c.id, ~gone_n).exists()
    own = MSG.c.contact_id.in_(contacts)
    return _deletion(session, "unit", unit, unit.name, parts,
                     or_(own, and_(MSG.c.id.in_(msgs), orphan)))


def _deletion(session: Session, kind: str, row: m.Plan | m.Unit, name: str,
              parts: dict[str, tuple[Table, ColumnElement[bool]]],
              messages_to_delete: ColumnElement[bool]) -> Deletion:
    counts = {k: int(session.execute(select(func.count()).select_from(tbl).where(cond))
                     .scalar_one()) for k, (tbl, cond) in parts.items()}
    MSG = m.tbl(m.OutboxMessage)
    ids = [int(i) for i in session.execute(select(MSG.c.id).where(messages_to_delete)).scalars()]
    counts["messages"] = len(ids)
    return Deletion(kind, row.code, name, row.id, row.archived_at, parts, counts, ids)


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    raise TypeError(type(v).__name__)


def _slug(code: str) -> str:
    text = unicodedata.normalize("NFKD", code.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _write_export(session: Session, d: Deletion, actor: str) -> Path:
    """Every row the deletion removes, as JSON, written before anything is deleted."""
    folder = get_settings().home / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    word = "ke-hoach" if d.kind == "plan" else "don-vi"
    stamp = now()
    path = folder / f"xoa-{word}-{_slug(d.code)}-{stamp:%Y%m%d-%H%M%S}.json"
    tables = {name: [dict(r) for r in session.execute(select(tbl).where(cond)).mappings()]
              for name, (tbl, cond) in d.parts.items()}
    doc = {"loai": KIND_WORDS[d.kind], "ma": d.code, "ten": d.name,
           "luu_tru_luc": d.archived_at, "xuat_luc": stamp, "nguoi_xoa": actor,
           "so_luong": d.counts, "bang": tables}
    tmp = path.with_suffix(".json.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1, default=_json_value)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class DeleteResult:
    kind: str
    code: str
    export: Path
    counts: dict[str, int]

    @property
    def message(self) -> str:
        c = self.counts
        return nfc(f"Đã xóa hẳn {KIND_WORDS[self.kind]} {self.code}: {c.get('deadlines', 0)} "
                   f"hạn, {c.get('submissions', 0)} báo cáo đã nộp, {c.get('scores', 0)} điểm "
                   f"thi đua, {c.get('messages', 0)} thông báo. Bản xuất trước khi xóa: "
                   f"{self.export}")


def confirm_matches(code: str, confirm: str | None) -> bool:
    return confirm is not None and nfc(confirm.strip()) == nfc(code)


def _delete(session: Session, d: Deletion, confirm: str | None, actor: str) -> DeleteResult:
    if not confirm_matches(d.code, confirm):
        raise UserError(nfc(f"chưa xác nhận: gõ lại đúng mã {d.code} sau --xac-nhan để xóa "
                            "hẳn"), field="--xac-nhan")
    export = _write_export(session, d, actor)
    t = m.tbl
    if d.kind == "unit":
        # facts that do not follow the unit by cascade
        for name in ("inspection_visits", "models", "scores"):
            tbl, cond = d.parts[name]
            session.execute(delete(tbl).where(cond))
        session.execute(delete(t(m.Unit)).where(t(m.Unit).c.id == d.entity_id))
    else:
        session.execute(delete(t(m.Plan)).where(t(m.Plan).c.id == d.entity_id))
    # the cascade removed their notifications; the digests themselves go by id
    if d.message_ids:
        MSG = t(m.OutboxMessage)
        session.execute(delete(MSG).where(MSG.c.id.in_(d.message_ids)))
    audit.record(session, actor=actor, action=f"{d.kind}.deleted", entity=d.kind,
                 entity_id=d.code, before={"counts": d.counts, "export": str(export)},
                 note=nfc(f"Xóa hẳn {KIND_WORDS[d.kind]} {d.code}; bản xuất: {export}"))
    return DeleteResult(d.kind, d.code, export, d.counts)


def delete_plan(session: Session, code: str, *, confirm: str | None, actor: str) -> DeleteResult:
    """Delete an archived plan and everything recorded under it, after an export."""
    return _delete(session, plan_deletion(session, code), confirm, actor)


def delete_unit(session: Session, code: str, *, confirm: str | None, actor: str) -> DeleteResult:
    """Delete an archived unit and everything recorded for it, after an export."""
    return _delete(session, unit_deletion(session, code), confirm, actor)


# --------------------------------------------------------------------------- close a year


@dataclass(frozen=True)
class CloseYearResult:
    year: int
    closed: int
    by_plan: dict[str, int]
    reason: str

    @property
    def message(self) -> str:
        if not self.closed:
            return f"Năm {self.year} không còn hạn nào chưa nộp: không đóng gì."
        per = "; ".join(f"{k}: {v}" for k, v in self.by_plan.items())
        return nfc(f"Đã đóng {self.closed} hạn chưa nộp của năm {self.year} (trạng thái "
                   f"“{DeadlineState.CLOSED.label}”) — {per}. Lý do: {self.reason}")


def close_year(session: Session, year: int, reason: str | None, actor: str, *,
               today: dt.date | None = None) -> CloseYearResult:
    """Close the year's open deadlines (due in `year`, open or extended): set-based, audited."""
    text = nfc((reason or "").strip())
    if not text:
        raise UserError("cần ghi lý do đóng các hạn chưa nộp của năm, ví dụ: --reason "
                        "\"Kết thúc năm, các đơn vị không nộp\"", field="--reason")
    t = today or _today()
    if year >= t.year:
        raise UserError(f"năm {year} chưa kết thúc (hôm nay {format_date(t)}); chỉ đóng được "
                        "năm đã qua", field="năm")
    D, O, P, A = m.tbl(m.Deadline), m.tbl(m.Obligation), m.tbl(m.Plan), m.tbl(m.AuditEntry)
    closing = and_(D.c.status.in_(OPEN_STATES), D.c.due_on >= dt.date(year, 1, 1),
                   D.c.due_on <= dt.date(year, 12, 31))
    by_plan = {str(c): int(n) for c, n in session.execute(
        select(P.c.code, func.count()).select_from(
            D.join(O, O.c.id == D.c.obligation_id).join(P, P.c.id == O.c.plan_id))
        .where(closing).group_by(P.c.code).order_by(P.c.code)).tuples()}
    dialect = session.get_bind().dialect.name
    stamp = sql_instant(now(), dialect)
    obj = func.json_object if dialect == "sqlite" else func.json_build_object
    closed = DeadlineState.CLOSED.value
    # one audit row per deadline, written before the update (it needs the old status)
    session.execute(insert(A).from_select(
        ["at", "actor", "action", "entity", "entity_id", "before", "after", "note"],
        select(literal(stamp), literal(actor), literal("deadline.closed"), literal("deadline"),
               cast(D.c.id, String), obj("status", D.c.status), obj("status", literal(closed)),
               literal(text)).where(closing)))
    n = m.rowcount(session.execute(
        update(D).where(closing).values(status=closed, updated_at=stamp)))
    audit.record(session, actor=actor, action="deadlines.year_closed", entity="year",
                 entity_id=year, after={"closed": n, "by_plan": by_plan}, note=text)
    return CloseYearResult(year, n, by_plan, text)


# --------------------------------------------------------------------------- use cases


class DeletionUnconfirmed(UserError):
    """The code was not retyped (or not exactly): nothing deleted. `preview` is what would be."""

    def __init__(self, preview: Deletion, confirm: str | None) -> None:
        self.preview = preview
        self.confirm = confirm
        what = "chưa xác nhận" if confirm is None else f"mã xác nhận '{confirm}' không khớp"
        super().__init__(nfc(f"{what}: gõ lại đúng mã {preview.code} sau --xac-nhan để xóa "
                             "hẳn"), field="--xac-nhan")


def _delete_archived(kind: str, cmd: DeletePlan | DeleteUnit, engine: Engine | None
                     ) -> DeleteResult:
    with unit_of_work(engine=engine) as s:
        d = (plan_deletion if kind == "plan" else unit_deletion)(s, cmd.code)
        if not confirm_matches(cmd.code, cmd.confirm):
            raise DeletionUnconfirmed(d, cmd.confirm)
        return _delete(s, d, cmd.confirm, cmd.operator)


def delete_archived_plan(cmd: DeletePlan, *, engine: Engine | None = None) -> DeleteResult:
    """`danvan plans delete`: export, then delete an archived plan (one transaction).

    Raises :class:`DeletionUnconfirmed` (with the preview) when the code is not retyped.
    """
    return _delete_archived("plan", cmd, engine)


def delete_archived_unit(cmd: DeleteUnit, *, engine: Engine | None = None) -> DeleteResult:
    """`danvan units delete`: export, then delete an archived unit (one transaction).

    Raises :class:`DeletionUnconfirmed` (with the preview) when the code is not retyped.
    """
    return _delete_archived("unit", cmd, engine)


def close_past_year(cmd: CloseYear, *, engine: Engine | None = None) -> CloseYearResult:
    """`danvan deadlines close-year`: close a past year's open deadlines, audited."""
    with unit_of_work(engine=engine) as s:
        return close_year(s, cmd.year, cmd.reason, cmd.operator)
