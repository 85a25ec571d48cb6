"""Benchmark: plan one day's reminders (the sweep) over 875,000 open deadlines.

    python -m bench.sweep [--backend sqlite|postgresql|both] [--units N] [--day YYYY-MM-DD]
                          [--no-doc]

Data set (built set-based with INSERT ... SELECT): the units, plan and ten
obligations of bench/materialise.py; 25 open deadlines per unit whose due dates
are spread evenly over the 2027 working days (unit i's k-th deadline is due on
working day (i + 10k) mod n), so that about 1/n of the deadlines fall due on each
working day; one focal point per unit (and for the province, the recipient), a
leader for every fifth unit, each with an 'email' contact channel; an 'email'
channels row; no 'reminders' config document (the default ladder applies).

Measured, each in a fresh process on the same data: ``plan_reminders(session, day)``
(product: set-based SQL), then a baseline that loads every open deadline, the
obligations and the contacts into Python, computes each deadline's step with
``core.reminders.step_for``, builds the notification rows and the daily digest
messages in Python and inserts them (bulk executemany).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import (
    LoadMonitor,
    child_result,
    create_pg_database,
    drop_pg_database,
    log,
    machine_facts,
    rss_now_mb,
    run_child,
    table,
    update_section,
)
from bench.materialise import OBLIGATIONS, PER_UNIT, UNITS, YEAR, build_dataset

DAY = dt.date(YEAR, 2, 1)  # a Monday; deadlines due 4-29 January are overdue
TARGET_S = 2.0


def build_sweep_dataset(url: str, units: int) -> dict[str, Any]:
    from sqlalchemy import Column, Date, Integer, MetaData, Table, insert, literal, select, text

    from danvan_workflow.db import models as m
    from danvan_workflow.db.session import make_engine
    from danvan_workflow.db.types import sql_instant
    from danvan_workflow.services.calendar import calendar_for
    from danvan_workflow.timeutil import now

    t0 = time.perf_counter()
    base = build_dataset(url, units)
    eng = make_engine(url)
    dialect = eng.dialect.name
    stamp = sql_instant(now(), dialect)
    meta = MetaData()
    wd = Table("bench_working_days", meta, Column("i", Integer, primary_key=True),
               Column("d", Date, nullable=False))
    ks = Table("bench_k", meta, Column("k", Integer, primary_key=True),
               Column("obligation_id", Integer, nullable=False))
    U, O, D = m.tbl(m.Unit), m.tbl(m.Obligation), m.tbl(m.Deadline)
    C, CC, CH = m.tbl(m.Contact), m.tbl(m.ContactChannel), m.tbl(m.Channel)
    with eng.begin() as conn:
        from sqlalchemy.orm import Session

        cal = calendar_for(Session(bind=conn))
        days = [dt.date(YEAR, 1, 1) + dt.timedelta(days=i) for i in range(365)]
        days = [d for d in days if cal.is_working_day(d)]
        meta.create_all(conn)
        conn.execute(insert(wd), [dict(i=i, d=d) for i, d in enumerate(days)])
        obs = conn.execute(select(O.c.id).order_by(O.c.id)).scalars().all()
        conn.execute(insert(ks), [dict(k=k, obligation_id=obs[k % len(obs)])
                                  for k in range(PER_UNIT)])
        prov = conn.execute(select(U.c.id).where(U.c.code == "TINH")).scalar_one()
        n = len(days)
        key = literal("P") + ks.c.k.cast(m.String)
        sel = (
            select(ks.c.obligation_id, U.c.id, key, literal("kỳ thử tải"), wd.c.d, wd.c.d,
                   literal("open"), literal(stamp), literal(stamp))
            .select_from(U.join(ks, U.c.id != prov)
                         .join(wd, wd.c.i == (U.c.id + ks.c.k * 10) % n))
        )
        conn.execute(insert(D).from_select(
            ["obligation_id", "unit_id", "period_key", "period_label", "due_on",
             "original_due_on", "status", "created_at", "updated_at"], sel))
        conn.execute(insert(C).from_select(
            ["code", "name", "unit_id", "role", "email", "channels"],
            select(literal("F") + U.c.code, literal("Đầu mối ") + U.c.name, U.c.id,
                   literal("focal_point"), literal("dm.") + U.c.code + literal("@example.org"),
                   literal([], m.JSON))))
        conn.execute(insert(C).from_select(
            ["code", "name", "unit_id", "role", "email", "channels"],
            select(literal("L") + U.c.code, literal("Lãnh đạo ") + U.c.name, U.c.id,
                   literal("leader"), literal("ld.") + U.c.code + literal("@example.org"),
                   literal([], m.JSON)).where(U.c.id % 5 == 0, U.c.id != prov)))
        conn.execute(insert(CC).from_select(["contact_id", "channel_code"],
                                            select(C.c.id, literal("email"))))
        conn.execute(insert(CH), [dict(code="email", kind="email",
                                       url="mailtos://${BENCH_SMTP}@example.org",
                                       rate_per_second=10, concurrency=4, max_attempts=8)])
        meta.drop_all(conn)
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("deadlines", "contacts", "contact_channels")}
    if dialect == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    eng.dispose()
    return {**counts, "reporters": base["reporters"], "seconds": time.perf_counter() - t0}


def reset_plans(url: str) -> None:
    from sqlalchemy import text

    from danvan_workflow.db.session import make_engine

    eng = make_engine(url)
    with eng.begin() as conn:
        for t in ("notifications", "outbox_messages", "sweep_runs"):
            conn.execute(text(f"DELETE FROM {t}"))
    if eng.dialect.name == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE notifications, outbox_messages"))
    eng.dispose()


def _counts(eng: Any) -> dict[str, int]:
    from sqlalchemy import text

    with eng.connect() as conn:
        return {
            "notifications": int(conn.execute(text("SELECT count(*) FROM notifications"))
                                 .scalar_one()),
            "escalations": int(conn.execute(text(
                "SELECT count(*) FROM notifications WHERE escalation")).scalar_one()),
            "messages": int(conn.execute(text("SELECT count(*) FROM outbox_messages"))
                            .scalar_one()),
            "unlinked": int(conn.execute(text(
                "SELECT count(*) FROM notifications WHERE message_id IS NULL")).scalar_one()),
        }


def child_product(url: str, day: dt.date) -> None:
    from sqlalchemy.orm import Session

    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services.calendar import calendar_for
    from danvan_workflow.services.reminders import plan_reminders

    eng = make_engine(url)
    with Session(eng) as s:
        cal = calendar_for(s)
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    with Session(eng) as s, s.begin():
        res = plan_reminders(s, day, cal=cal)
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, planned=res.planned,
                      reported_escalations=res.escalations, reported_messages=res.messages,
                      **_counts(eng)))


def child_baseline(url: str, day: dt.date) -> None:
    """Everything in Python: load all open deadlines and contacts, step_for each, insert."""
    from collections import defaultdict

    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from danvan_workflow.core.deadline_status import OPEN_STATES as ACTIVE
    from danvan_workflow.core.reminders import DEFAULT_LADDER, step_for
    from danvan_workflow.db import models as m
    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services.calendar import calendar_for
    from danvan_workflow.timeutil import TZ, now

    eng = make_engine(url)
    with Session(eng) as s:
        cal = calendar_for(s)
    rss_before = rss_now_mb()
    ladder = DEFAULT_LADDER
    D, O, C, CC = m.tbl(m.Deadline), m.tbl(m.Obligation), m.tbl(m.Contact), m.tbl(m.ContactChannel)
    N, MSG = m.tbl(m.Notification), m.tbl(m.OutboxMessage)
    t0 = time.perf_counter()
    with Session(eng) as s, s.begin():
        run = m.SweepRun(run_date=day, started_at=now())
        s.add(run)
        s.flush()
        recipient = dict(s.execute(select(O.c.id, O.c.recipient_id)).all())
        reach: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
        for cid, unit, role, chan in s.execute(
                select(C.c.id, C.c.unit_id, C.c.role, CC.c.channel_code)
                .join(CC, CC.c.contact_id == C.c.id)):
            reach[(unit, role)].append((cid, chan))
        stamp = now()
        items: dict[tuple[int, int, int, str], dict[str, Any]] = {}
        for did, ob, unit, due in s.execute(
                select(D.c.id, D.c.obligation_id, D.c.unit_id, D.c.due_on)
                .where(D.c.status.in_(ACTIVE), D.c.due_on.is_not(None))):
            step = step_for(due, day, cal, ladder)
            if step is None:
                continue
            targets = [(c, False) for c in reach[(unit, "focal_point")]]
            if step >= ladder.escalate_from:
                targets += [(c, True) for c in reach[(recipient[ob], "focal_point")]]
                targets += [(c, True) for c in reach[(unit, "leader")]]
            for (cid, chan), esc in targets:
                items.setdefault((did, step, cid, chan), dict(
                    deadline_id=did, step=step, contact_id=cid, channel_code=chan,
                    escalation=esc, due_on=due, planned_for=day, created_at=stamp))
        groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for it in items.values():
            groups[(it["contact_id"], it["channel_code"])].append(it)
        send_at = max(dt.datetime.combine(day, dt.time(7, 30), tzinfo=TZ), stamp)
        msgs = [dict(idempotency_key=f"rem.{day.isoformat()}.{cid}.{chan}.b", contact_id=cid,
                     channel_code=chan, kind="reminder", planned_for=day, sweep_id=run.id,
                     status="pending", attempts=0, next_attempt_at=send_at, created_at=stamp)
                for cid, chan in groups]
        ids: dict[str, int] = {}
        if msgs:
            for mid, key in s.execute(insert(MSG).returning(MSG.c.id, MSG.c.idempotency_key),
                                      msgs):
                ids[key] = mid
        for (cid, chan), its in groups.items():
            mid = ids[f"rem.{day.isoformat()}.{cid}.{chan}.b"]
            for it in its:
                it["message_id"] = mid
        if items:
            s.execute(insert(N), list(items.values()))
        run.finished_at = now()
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, planned=len(items),
                      **_counts(eng)))


def run_backend(backend: str, units: int, day: dt.date) -> list[dict[str, Any]]:
    tmp = None
    if backend == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="bench_sweep_")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        url = create_pg_database("sweep")
    out: list[dict[str, Any]] = []
    try:
        log(f"{backend}: building {units * PER_UNIT:,} open deadlines")
        setup = build_sweep_dataset(url, units)
        log(f"{backend}: set-up {setup['seconds']:.1f} s: {setup}")
        for variant, label in (("product", "product: `plan_reminders()` (set-based SQL)"),
                               ("baseline", "baseline: all open deadlines into Python, "
                                            "`step_for` each, bulk insert")):
            if variant == "baseline":
                reset_plans(url)
            log(f"{backend}: {variant}")
            r = run_child("bench.sweep", ["--child", variant, "--url", url,
                                          "--day", day.isoformat()])
            log(f"{backend}: {variant} {r['seconds']:.2f} s, {r['notifications']:,} "
                f"notifications, {r['messages']:,} messages, peak {r['peak_rss_mb']:.0f} MB")
            out.append(dict(backend=backend, variant=label, setup=setup, **r))
        return out
    finally:
        if tmp is not None:
            tmp.cleanup()
        else:
            drop_pg_database(url)


def render(results: list[dict[str, Any]], units: int, day: dt.date, facts: str, load: str,
           wall: float) -> str:
    rows = [[r["backend"], r["variant"], r["seconds"], r["notifications"], r["escalations"],
             r["messages"], r["unlinked"], r["peak_rss_mb"], r["rss_before_mb"]]
            for r in results]
    tab = table(["backend", "variant", "time (s)", "notifications planned", "of which escalations",
                 "outbox messages (digests)", "items without message", "peak RSS (MB)",
                 "RSS before step (MB)"], rows)
    notes = []
    for b in dict.fromkeys(r["backend"] for r in results):
        prod = next(r for r in results if r["backend"] == b and r["variant"].startswith("prod"))
        base = [r for r in results if r["backend"] == b and r["variant"].startswith("base")]
        same = base and (base[0]["notifications"], base[0]["escalations"],
                         base[0]["messages"]) == (prod["notifications"], prod["escalations"],
                                                  prod["messages"])
        notes.append(
            f"- **{b}**: product {prod['seconds']:.2f} s "
            f"({'meets' if prod['seconds'] < TARGET_S else 'misses'} the {TARGET_S:.0f} s "
            f"target)"
            + (f", baseline {base[0]['seconds']:.2f} s (product/baseline time ratio "
               f"{prod['seconds'] / base[0]['seconds']:.2f}); both "
               f"produce {'the same' if same else 'DIFFERENT'} counts" if base else "")
            + f". Set-up (not measured) {prod['setup']['seconds']:.0f} s: "
              f"{prod['setup']['deadlines']:,} open deadlines, {prod['setup']['contacts']:,} "
              f"contacts.")
    return "\n".join([
        f"## Reminder sweep: one day over {units * PER_UNIT:,} open deadlines",
        "",
        f"Script: `python -m bench.sweep --units {units} --day {day.isoformat()}`. "
        f"Machine: {facts}.",
        "",
        f"Load while it ran ({wall / 60:.1f} min): {load}.",
        "",
        f"Data set: the {len(OBLIGATIONS)} obligations of the materialise benchmark, "
        f"{PER_UNIT} open deadlines per unit with due dates spread evenly over the {YEAR} "
        "working days (~1/250 of them due on each working day; none submitted, so "
        "every deadline due before the sweep day is overdue), one focal point per unit "
        "and for the province (the recipient), a leader for every fifth unit, one 'email' "
        "contact channel each, default ladder (−10, −5, −2, −1, 0, +1, +3, then every 5 "
        f"working days overdue; escalation from +3). Sweep day {day:%A %Y-%m-%d}. "
        "Product: `plan_reminders(session, day, cal=...)` in one transaction (notification "
        "items + one digest outbox message per contact and channel + linking items to "
        "messages). Baseline: the same result computed in Python (all open deadlines, "
        "obligations and contacts loaded, `core.reminders.step_for` per deadline, items "
        "and digests built in Python, bulk-inserted with executemany/RETURNING).",
        "",
        tab,
        "",
        f"Target: under {TARGET_S:.0f} s.",
        "",
        *notes,
    ])


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--units", type=int, default=UNITS)
    p.add_argument("--day", type=dt.date.fromisoformat, default=DAY)
    p.add_argument("--no-doc", action="store_true", help="print only, leave docs/ alone")
    p.add_argument("--child", choices=["product", "baseline"], help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child == "product":
        child_product(a.url, a.day)
        return ""
    if a.child == "baseline":
        child_baseline(a.url, a.day)
        return ""
    backends = ["sqlite", "postgresql"] if a.backend == "both" else [a.backend]
    facts = machine_facts(with_pg="postgresql" in backends)
    results: list[dict[str, Any]] = []
    with LoadMonitor() as mon:
        for b in backends:
            results += run_backend(b, a.units, a.day)
    section = render(results, a.units, a.day, facts, mon.summary(), mon.elapsed)
    print(section)
    if not a.no_doc:
        update_section("sweep", section)
    return section


if __name__ == "__main__":
    main(sys.argv[1:])
