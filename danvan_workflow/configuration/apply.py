"""Write a validated ConfigBundle to the database as a diff: added, changed, removed.

Runs inside the caller's transaction. Unchanged configuration writes nothing.

Plans, units and contacts that leave config/ are archived (``archived_at`` set), never
deleted: their deadlines, submissions, scores and messages are recorded facts. One
that comes back is restored (``archived_at`` cleared). Deleting for real is an explicit
command (services/archive.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from danvan_workflow.configuration.loader import ConfigBundle, source_key
from danvan_workflow.db import models as m
from danvan_workflow.errors import UserError
from danvan_workflow.timeutil import now


@dataclass
class TableChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)  # left config/: kept, archived
    restored: list[str] = field(default_factory=list)  # came back: archive cleared

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.archived
                    or self.restored)


@dataclass
class ChangeReport:
    tables: dict[str, TableChanges] = field(default_factory=dict)
    changed_obligation_ids: set[int] = field(default_factory=set)
    calendar_changed: bool = False
    # what archiving/restoring meant, in words (services/archive.py fills it)
    notes: list[str] = field(default_factory=list)

    def of(self, name: str) -> TableChanges:
        return self.tables.setdefault(name, TableChanges())

    @property
    def any(self) -> bool:
        return any(t.any for t in self.tables.values())

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for k, v in self.tables.items():
            if v.any:
                out[k] = {"added": v.added, "changed": v.changed, "removed": v.removed}
                out[k] |= {n: x for n, x in (("archived", v.archived),
                                             ("restored", v.restored)) if x}
        return out


LABELS = {
    "units": "đơn vị", "contacts": "đầu mối", "channels": "kênh gửi",
    "calendar_overrides": "ngày nghỉ/làm bù", "calendar_years": "lịch nghỉ năm",
    "config_documents": "chính sách nhắc hạn",
    "plans": "kế hoạch", "plan_tasks": "nhiệm vụ", "obligations": "nghĩa vụ báo cáo",
    "plan_parts": "hạn mức/bảng điểm/chỉ tiêu",
}


def _norm(v: Any) -> Any:
    if isinstance(v, float | Decimal) or (isinstance(v, int) and not isinstance(v, bool)):
        return format(Decimal(str(v)).normalize(), "f")
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)
    if v is not None and not isinstance(v, str | int | bool):
        return str(v)
    return v


def _norm_col(column: str, v: Any) -> Any:
    # "config/plans/x.yaml" (older rows, or another folder's name) equals "plans/x.yaml"
    return _norm(source_key(v) if column == "source_file" else v)


def sync_rows(
    session: Session, table: Table, key: tuple[str, ...], desired: list[dict[str, Any]],
    changes: TableChanges, *, scope: dict[str, Any] | None = None,
    label: Callable[[dict[str, Any]], str] | None = None,
    on_remove: Callable[[list[dict[str, Any]]], None] | None = None, archive: bool = False,
) -> dict[tuple[Any, ...], int | None]:
    """Make `table` (restricted to `scope`) equal `desired`, keyed by `key` columns.

    With `archive`, rows not desired are archived (``archived_at`` = now) instead of
    deleted, and archived rows desired again are restored; rows already archived are
    left alone (an unchanged load writes nothing).
    Returns the id of every desired row by key (tables without `id` map to None).
    """
    label = label or (lambda r: "/".join(str(r[k]) for k in key))
    cols = list(desired[0].keys()) if desired else list(key)
    has_id = "id" in table.c
    extra = [table.c.id] if has_id else []
    if archive:
        extra.append(table.c.archived_at)
    q = select(*(table.c[c] for c in {*cols, *key}), *extra)
    for col, val in (scope or {}).items():
        q = q.where(table.c[col] == val)
    existing: dict[tuple[Any, ...], dict[str, Any]] = {
        tuple(r[k] for k in key): {**r} for r in session.execute(q).mappings()}
    want = {tuple(r[k] for k in key): r for r in desired}
    new = [r for k, r in want.items() if k not in existing]
    upd = []
    for k, r in want.items():
        old = existing.get(k)
        if old is not None and any(_norm_col(c, old[c]) != _norm_col(c, r[c]) for c in cols):
            upd.append((old, r))
    gone = [r for k, r in existing.items() if k not in want]
    if archive:
        gone = [r for r in gone if r["archived_at"] is None]
        back = [r for k, r in existing.items() if k in want and r["archived_at"] is not None]
        if gone:
            session.execute(update(table).where(table.c.id.in_([g["id"] for g in gone]))
                            .values(archived_at=now()))
            changes.archived += [label(g) for g in gone]
        if back:
            session.execute(update(table).where(table.c.id.in_([b["id"] for b in back]))
                            .values(archived_at=None))
            changes.restored += [label(b) for b in back]
        gone = []
    if gone:
        if on_remove:
            on_remove(gone)
        if has_id:
            session.execute(delete(table).where(table.c.id.in_([g["id"] for g in gone])))
        else:
            session.execute(delete(table).where(
                tuple_(*(table.c[k] for k in key)).in_([tuple(g[k] for k in key) for g in gone])))
        changes.removed += [label(g) for g in gone]
    if new:
        session.execute(insert(table), new)
        changes.added += [label(r) for r in new]
    for old, r in upd:
        cond = table.c.id == old["id"] if has_id else tuple_(
            *(table.c[k] for k in key)) == tuple(r[k] for k in key)
        session.execute(update(table).where(cond).values(**r))
        changes.changed.append(label(r))
    if not has_id:
        return {k: None for k in want}
    ids = {k: v["id"] for k, v in existing.items() if k in want}
    if new:
        for row in session.execute(q).mappings():
            ids[tuple(row[k] for k in key)] = row["id"]
    return ids


def replace_rows(session: Session, table: Table, desired: list[dict[str, Any]],
                 changes: TableChanges, *, scope: dict[str, Any], label: str) -> None:
    """For small keyless sets: replace them whole when they differ."""
    cols = [c for c in table.c.keys() if c != "id"]
    q = select(*(table.c[c] for c in cols))
    for col, val in scope.items():
        q = q.where(table.c[col] == val)
    have = sorted(json.dumps({c: _norm(r[c]) for c in cols}, sort_keys=True)
                  for r in session.execute(q).mappings())
    want = sorted(json.dumps({c: _norm(r[c]) for c in cols}, sort_keys=True) for r in desired)
    if have == want:
        return
    (changes.added if not have else changes.removed if not want else changes.changed).append(label)
    stmt = delete(table)
    for col, val in scope.items():
        stmt = stmt.where(table.c[col] == val)
    session.execute(stmt)
    if desired:
        session.execute(insert(table), desired)


def _label(prefix: str, key: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: f"{prefix}{r[key]}"


def _refuse_if_used(session: Session, what: str, checks: Iterable[tuple[Any, Any, str]]) -> \
        Callable[[list[dict[str, Any]]], None]:
    """Refuse to delete configuration rows that recorded facts hang on.

    Each check is (column, source, name): `column` holds the removed row's id in
    `source` (a table or join), e.g. deadlines.obligation_id joined to submissions.
    """
    def check(rows: list[dict[str, Any]]) -> None:
        ids = [r["id"] for r in rows]
        for column, source, name in checks:
            used = session.execute(select(column).select_from(source)
                                   .where(column.in_(ids)).limit(1)).first()
            if used:
                codes = ", ".join(str(r.get("code", r["id"])) for r in rows if r["id"] == used[0])
                raise UserError(f"không thể xóa {what} '{codes}' khỏi cấu hình vì đã có {name}; "
                                "hãy giữ lại mục này trong tệp cấu hình")
    return check


def _calendar_year_label(row: dict[str, Any]) -> str:
    if "confirmed" not in row:  # a removed row read back with its key only
        return str(row["year"])
    return f"{row['year']} ({'đã xác nhận' if row['confirmed'] else 'chưa xác nhận'})"


def apply_bundle(session: Session, bundle: ConfigBundle) -> ChangeReport:
    rep = ChangeReport()
    U = m.tbl(m.Unit)
    # units: insert/update without parents first, then parents
    unit_rows = [dict(code=u.code, name=u.name, kind=u.kind, level=u.level, sector=u.sector,
                      assumed=u.assumed, note=u.note, source_file=loc.file)
                 for u, loc in bundle.units]
    uc = rep.of("units")
    uid = sync_rows(session, U, ("code",), unit_rows, uc, archive=True)
    unit_id = {k[0]: v for k, v in uid.items()}
    current_parent = dict(session.execute(select(U.c.code, U.c.parent_id)).tuples().all())
    for u, _ in bundle.units:
        want = unit_id[u.parent] if u.parent else None
        if current_parent.get(u.code) != want:
            session.execute(update(U).where(U.c.code == u.code).values(parent_id=want))
            if u.code not in uc.added and u.code not in uc.changed:
                uc.changed.append(u.code)

    sync_rows(session, m.tbl(m.Channel), ("code",), [
        dict(code=c.code, kind=c.kind, url=c.url, rate_per_second=c.rate_per_second,
             concurrency=c.concurrency, max_attempts=c.max_attempts) for c in bundle.channels
    ], rep.of("channels"))

    sync_rows(session, m.tbl(m.Contact), ("code",), [
        dict(code=c.code, name=c.name, unit_id=unit_id[c.unit], role=c.role, email=c.email,
             zalo_user_id=c.zalo_user_id, zalo_chat_id=c.zalo_chat_id, phone=c.phone,
             channels=list(c.channels), fallback=c.fallback, source_file=loc.file)
        for c, loc in bundle.contacts
    ], rep.of("contacts"), archive=True)

    _apply_contact_channels(session, bundle, rep)

    cal = rep.of("calendar_overrides")
    sync_rows(session, m.tbl(m.CalendarOverride), ("day",), [
        dict(day=o.date, kind=o.kind, name=o.name, document=o.document, source_file=loc.file)
        for o, loc in bundle.calendar
    ], cal, label=lambda r: f"{r['day']:%d/%m/%Y}")
    rep.calendar_changed = cal.any

    # Calendar years are configuration, not history: a year whose file is gone is deleted.
    sync_rows(session, m.tbl(m.CalendarYear), ("year",), [
        dict(year=y.year, confirmed=y.confirmed, documents=list(y.documents),
             source_file=y.source_file)
        for y in bundle.calendar_years
    ], rep.of("calendar_years"), label=_calendar_year_label)

    sync_rows(session, m.tbl(m.ConfigDocument), ("name",), [
        dict(name="reminders", content=bundle.reminders.model_dump(mode="json"),
             source_file="reminders.yaml")
    ], rep.of("config_documents"))

    _apply_plans(session, bundle, unit_id, rep)
    return rep


def _apply_plans(session: Session, bundle: ConfigBundle, unit_id: dict[str, int | None],
                 rep: ChangeReport) -> None:
    P, T, TU = m.tbl(m.Plan), m.tbl(m.PlanTask), m.tbl(m.PlanTaskUnit)
    OB, OR = m.tbl(m.Obligation), m.tbl(m.ObligationReporter)
    pid = sync_rows(session, P, ("code",), [
        dict(code=pb.model.plan.code, title=pb.model.plan.title,
             issuer_id=unit_id[pb.model.plan.issuer], issued_on=pb.model.plan.issued_on,
             year=pb.model.plan.year, source=pb.model.plan.source,
             valid_from=pb.model.plan.valid_from, valid_until=pb.model.plan.valid_until,
             recurs=pb.model.plan.recurs,
             assumed=list(pb.model.plan.assumed), source_file=pb.doc.source)
        for pb in bundle.plans
    ], rep.of("plans"), archive=True)
    for pb in bundle.plans:
        plan_id = pid[(pb.model.plan.code,)]
        code = pb.model.plan.code
        tid = sync_rows(session, T, ("plan_id", "number"), [
            dict(plan_id=plan_id, number=t.number, title=t.title, timing_text=t.timing,
                 rules=pb.task_rules.get(t.number, [])) for t in pb.model.tasks
        ], rep.of("plan_tasks"), scope={"plan_id": plan_id},
            label=_label(f"{code} nhiệm vụ ", "number"))
        task_ids = [v for v in tid.values() if v is not None]
        tu_rows = [dict(task_id=tid[(plan_id, t.number)], unit_id=unit_id[c], role=role)
                   for t in pb.model.tasks for role in ("directing", "advising", "implementing")
                   for c in dict.fromkeys(getattr(t, role))]
        existing = {tuple(r) for r in session.execute(
            select(TU.c.task_id, TU.c.unit_id, TU.c.role).where(TU.c.task_id.in_(task_ids)))}
        wanted = {(r["task_id"], r["unit_id"], r["role"]) for r in tu_rows}
        if existing != wanted:
            session.execute(delete(TU).where(TU.c.task_id.in_(task_ids)))
            if tu_rows:
                session.execute(insert(TU), tu_rows)
            # tasks added by this load come with their units: not a change
            added_tasks = {tid[(plan_id, t.number)] for t in pb.model.tasks
                           if f"{code} nhiệm vụ {t.number}" in rep.of("plan_tasks").added}
            if {t for t, _, _ in existing ^ wanted} - added_tasks:
                rep.of("plan_tasks").changed.append(f"{code}: phân công đơn vị")

        oc = rep.of("obligations")
        before = set(oc.added) | set(oc.changed)
        ob_rows = []
        for ob in pb.model.obligations:
            rules = pb.obligation_rules.get(ob.code, [])
            kinds = {r["kind"] for r in rules}
            ob_rows.append(dict(
                plan_id=plan_id, code=ob.code, title=ob.title,
                task_id=tid.get((plan_id, ob.task)) if ob.task else None,
                recipient_id=unit_id[ob.recipient], timing_text=ob.timing, rules=rules,
                rule_kind=kinds.pop() if len(kinds) == 1 else "mixed", reminders=ob.reminders))
        # an obligation with reports received cannot leave the file (it would take them along)
        D, S = m.tbl(m.Deadline), m.tbl(m.Submission)
        used = _refuse_if_used(session, f"nghĩa vụ báo cáo của kế hoạch {code}", [
            (D.c.obligation_id, D.join(S, S.c.deadline_id == D.c.id), "báo cáo đã nộp")])
        oid = sync_rows(session, OB, ("plan_id", "code"), ob_rows, oc, scope={"plan_id": plan_id},
                        label=_label(f"{code} ", "code"), on_remove=used)
        changed_codes = {lbl.split(" ", 1)[1] for lbl in set(oc.added) | set(oc.changed)
                         if lbl not in before and lbl.startswith(code + " ")}
        ob_ids = {k[1]: v for k, v in oid.items() if v is not None}
        rep_rows = [dict(obligation_id=ob_ids[c], unit_id=unit_id[u])
                    for c, units in pb.obligation_reporters.items() for u in units]
        existing_r = {tuple(r) for r in session.execute(
            select(OR.c.obligation_id, OR.c.unit_id).where(
                OR.c.obligation_id.in_(list(ob_ids.values()))))}
        wanted_r = {(r["obligation_id"], r["unit_id"]) for r in rep_rows}
        if existing_r != wanted_r:
            diff = {o for o, _ in existing_r ^ wanted_r}
            session.execute(delete(OR).where(OR.c.obligation_id.in_(list(diff))))
            rows = [r for r in rep_rows if r["obligation_id"] in diff]
            if rows:
                session.execute(insert(OR), rows)
            for c, i in ob_ids.items():
                if i in diff and f"{code} {c}" not in oc.added:
                    oc.changed.append(f"{code} {c}: đơn vị báo cáo")
                    changed_codes.add(c)
        rep.changed_obligation_ids |= {ob_ids[c] for c in changed_codes if c in ob_ids}
        if code in rep.of("plans").changed:
            # the plan's own validity (valid_from/until, recurs, year) decides which
            # occurrences exist: every obligation of it is recomputed
            rep.changed_obligation_ids |= set(ob_ids.values())
        _apply_plan_parts(session, pb, plan_id, unit_id, rep)


def _apply_plan_parts(session: Session, pb: Any, plan_id: int | None,
                      unit_id: dict[str, int | None], rep: ChangeReport) -> None:
    pf = pb.model
    ch = rep.of("plan_parts")
    code = pf.plan.code
    replace_rows(session, m.tbl(m.Quota), [
        dict(plan_id=plan_id, selector=q.selector.model_dump(exclude_none=True),
             min_models=q.min_models) for q in pf.quotas
    ], ch, scope={"plan_id": plan_id}, label=f"{code} hạn mức")
    sc = pf.scorecard
    sync_rows(session, m.tbl(m.ScoreCriterion), ("plan_id", "code"), [
        dict(plan_id=plan_id, code=c.code, title=c.title, max_points=c.max_points,
             bonus_points=c.bonus_points) for c in (sc.criteria if sc else [])
    ], ch, scope={"plan_id": plan_id}, label=lambda r: f"{code} tiêu chí {r['code']}",
        on_remove=_refuse_if_used(session, f"tiêu chí chấm điểm của kế hoạch {code}", [
            (m.tbl(m.Score).c.criterion_id, m.tbl(m.Score), "điểm thi đua")]))
    sync_rows(session, m.tbl(m.ClassificationThreshold), ("plan_id", "label"), [
        dict(plan_id=plan_id, label=t.label, min_points=t.min)
        for t in (sc.classification if sc else [])
    ], ch, scope={"plan_id": plan_id}, label=lambda r: f"{code} xếp loại {r['label']}")
    sync_rows(session, m.tbl(m.ScoringBody), ("plan_id", "scorer_id"), [
        dict(plan_id=plan_id, scorer_id=unit_id[b.scorer],
             scored=[s.model_dump(exclude_none=True) for s in b.scored], due_rule=b.due_rule)
        for b in (sc.scoring_bodies if sc else [])
    ], ch, scope={"plan_id": plan_id}, label=lambda r: f"{code} cơ quan chấm điểm")
    sync_rows(session, m.tbl(m.Target), ("plan_id", "code"), [
        dict(plan_id=plan_id, code=t.code, title=t.title, fact=t.fact,
             population=[s.model_dump(exclude_none=True) for s in t.population],
             threshold_percent=t.threshold_percent, comparison=t.comparison)
        for t in pf.targets
    ], ch, scope={"plan_id": plan_id}, label=lambda r: f"{code} chỉ tiêu {r['code']}")


ADDRESS_FOR_KIND = {"email": "email", "zalo_oa": "zalo_user_id", "zalo_bot": "zalo_chat_id",
                    "zalo_zns": "phone"}


def _apply_contact_channels(session: Session, bundle: ConfigBundle, rep: ChangeReport) -> None:
    """Expand each contact's channels: the listed ones, or every channel it has an address for."""
    C, CC = m.tbl(m.Contact), m.tbl(m.ContactChannel)
    ids = dict(session.execute(select(C.c.code, C.c.id)).tuples().all())
    kinds = {c.code: c.kind for c in bundle.channels}
    wanted: set[tuple[int, str]] = set()
    # Zalo addresses the person linked through the webhook count as addresses
    linked = set(session.execute(select(C.c.code, m.ZaloLink.field).join(
        m.ZaloLink, m.ZaloLink.contact_id == C.c.id)).tuples().all())
    for c, _ in bundle.contacts:
        codes = c.channels or [code for code, kind in kinds.items()
                               if kind in ADDRESS_FOR_KIND and getattr(c, ADDRESS_FOR_KIND[kind])]
        reachable = [code for code in codes
                     if (field := ADDRESS_FOR_KIND.get(kinds.get(code, ""))) is None
                     or getattr(c, field) or (c.code, field) in linked]
        for code in reachable[:1] if c.fallback else reachable:
            wanted.add((ids[c.code], code))
    have = {(a, b) for a, b in session.execute(select(CC.c.contact_id, CC.c.channel_code))}
    if have == wanted:
        return
    gone, new = have - wanted, wanted - have
    for contact_id, code in gone:
        session.execute(delete(CC).where(CC.c.contact_id == contact_id, CC.c.channel_code == code))
    if new:
        session.execute(insert(CC), [dict(contact_id=a, channel_code=b) for a, b in sorted(new)])
    # a contact added, changed or archived by this load is already reported
    ch = rep.of("contacts")
    known = {*ch.added, *ch.changed, *ch.archived}
    code_of = {v: k for k, v in ids.items()}
    ch.changed += [f"{c}: kênh nhận" for c in sorted(
        {code_of[a] for a, _ in gone | new if a in code_of} - known)]
