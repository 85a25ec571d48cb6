"""Benchmark: materialise one year of deadlines for 35,000 units x 25 occurrences.

    python -m bench.materialise [--backend sqlite|postgresql|both] [--units N]
                                [--baseline auto|slice|full|skip] [--no-doc]

Data set (built set-based): one province unit (issuer and recipient), N reporting
units, one plan for 2027, ten obligations valid only in 2027 whose rules give 25
occurrences per unit (monthly 12 + quarterly 4 + half-year 2 + nine months 1 +
year 1 + five fixed dates), every unit a reporter of every obligation.

Measured: ``materialise(session, until=2027-12-31, cal=...)`` (product: INSERT ...
SELECT from a temp table joined to obligation_reporters), then the baseline in the
same run: a per-row ORM loop (``session.add(Deadline(...))`` per occurrence, one
commit per unit). The baseline runs on a 1/10 slice of the units and is
extrapolated linearly; with ``--baseline auto`` it also runs in full when the
extrapolation is at most 3 minutes.
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

YEAR = 2027
UNTIL = dt.date(YEAR, 12, 31)
UNITS = 35_000
PER_UNIT = 25
TARGET_S = 30.0
TARGET_MB = 500.0
BASELINE_FULL_LIMIT_S = 180.0

_VALID = {"valid_from": f"{YEAR}-01-01", "valid_until": f"{YEAR}-12-31"}
OBLIGATIONS: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("month", "periodic", [{"kind": "periodic", "period": "month", "offset_kind": "working_days",
                            "offset": 2, **_VALID}]),
    ("quarter", "periodic", [{"kind": "periodic", "period": "quarter",
                              "offset_kind": "working_days", "offset": 3, **_VALID}]),
    ("half", "periodic", [{"kind": "periodic", "period": "half_year",
                           "offset_kind": "working_days", "offset": 5, **_VALID}]),
    ("nine", "periodic", [{"kind": "periodic", "period": "nine_months",
                           "offset_kind": "working_days", "offset": 5, **_VALID}]),
    ("year", "periodic", [{"kind": "periodic", "period": "year", "offset_kind": "working_days",
                           "offset": 5, **_VALID}]),
] + [
    (f"fixed{d:02d}{mo:02d}", "fixed",
     [{"kind": "fixed", "day": d, "month": mo, "mode": "by", **_VALID}])
    for d, mo in [(20, 2), (15, 4), (10, 7), (20, 10), (20, 11)]
]


# --------------------------------------------------------------------------- data set


def build_dataset(url: str, units: int) -> dict[str, Any]:
    """Schema + province + `units` reporting units + plan + obligations + reporters."""
    from sqlalchemy import insert, select, text

    from danvan_workflow.db import models as m
    from danvan_workflow.db.migrate import upgrade
    from danvan_workflow.db.session import make_engine

    t0 = time.perf_counter()
    upgrade(url)
    eng = make_engine(url)
    U, P, O, R = (m.tbl(m.Unit), m.tbl(m.Plan), m.tbl(m.Obligation),
                  m.tbl(m.ObligationReporter))
    with eng.begin() as conn:
        conn.execute(insert(U), [dict(code="TINH", name="Ban Dân vận Tỉnh ủy", kind="party",
                                      level="province", assumed=False)])
        prov = conn.execute(select(U.c.id).where(U.c.code == "TINH")).scalar_one()
        conn.execute(insert(U), [dict(code=f"U{i:06d}", name=f"Đơn vị {i}", kind="commune",
                                      level="commune", parent_id=prov, assumed=False)
                                 for i in range(1, units + 1)])
        conn.execute(insert(P), [dict(code=f"BENCH-{YEAR}", title="Kế hoạch thử tải",
                                      issuer_id=prov, year=YEAR, assumed=[])])
        plan = conn.execute(select(P.c.id)).scalar_one()
        conn.execute(insert(O), [dict(plan_id=plan, code=code, title=f"Báo cáo {code}",
                                      recipient_id=prov, rules=rules, rule_kind=kind)
                                 for code, kind, rules in OBLIGATIONS])
        conn.execute(insert(R).from_select(
            ["obligation_id", "unit_id"],
            select(O.c.id, U.c.id).select_from(O.join(U, U.c.id != prov))))
        n_rep = conn.execute(select(text("count(*)")).select_from(R)).scalar_one()
    if eng.dialect.name == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # autovacuum would do this after a bulk load
    eng.dispose()
    return {"reporters": int(n_rep), "seconds": time.perf_counter() - t0}


def reset_deadlines(url: str) -> None:
    from sqlalchemy import text

    from danvan_workflow.db.session import make_engine

    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("DELETE FROM deadlines"))
    if eng.dialect.name == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE deadlines"))
    eng.dispose()


# --------------------------------------------------------------------------- children


def _count_deadlines(eng: Any) -> int:
    from sqlalchemy import text

    with eng.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM deadlines")).scalar_one())


def child_product(url: str) -> None:
    from sqlalchemy.orm import Session

    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services.calendar import calendar_for
    from danvan_workflow.services.materialise import materialise

    eng = make_engine(url)
    with Session(eng) as s:
        cal = calendar_for(s)
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    with Session(eng) as s, s.begin():
        res = materialise(s, until=UNTIL, cal=cal)
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, occurrences=res.occurrences,
                      inserted=res.inserted, rows=_count_deadlines(eng)))


COLS = ("obligation_id, unit_id, period_key, period_label, period_start, period_end, due_on, "
        "original_due_on, window_end, status, created_at, updated_at")


def prepare_limit(url: str) -> None:
    """Copy the product's rows to a plain table (no index), then empty `deadlines`."""
    from sqlalchemy import text

    from danvan_workflow.db.session import make_engine

    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_prepared"))
        conn.execute(text(f"CREATE TABLE bench_prepared AS SELECT {COLS} FROM deadlines "
                          "ORDER BY obligation_id, period_key, unit_id"))
    eng.dispose()
    reset_deadlines(url)


def child_limit(url: str) -> None:
    """The same rows with one INSERT ... SELECT from a prepared table: what writing them
    into `deadlines` with its indexes costs at the least."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from danvan_workflow.db.session import make_engine

    eng = make_engine(url)
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    with Session(eng) as s, s.begin():
        n = s.execute(text(f"INSERT INTO deadlines ({COLS}) SELECT {COLS} FROM bench_prepared")
                      ).rowcount
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, inserted=n,
                      rows=_count_deadlines(eng)))


def child_baseline(url: str, slice_units: int) -> None:
    """Per-row ORM loop: for each unit, for each occurrence, session.add(); commit per unit."""
    from collections import defaultdict

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from danvan_workflow.core.validity import PlanValidity
    from danvan_workflow.db import models as m
    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services.calendar import calendar_for
    from danvan_workflow.services.materialise import obligation_occurrences

    eng = make_engine(url)
    with Session(eng) as s:
        cal = calendar_for(s)
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    with Session(eng) as s:
        occ = {ob: obligation_occurrences(rules, PlanValidity.of(year=year, recurs=True), cal,
                                          UNTIL)
               for ob, rules, year in
               s.execute(select(m.Obligation.id, m.Obligation.rules, m.Plan.year)
                         .join(m.Plan)).all()}
        unit_ids = s.scalars(select(m.Unit.id).where(m.Unit.code.like("U%"))
                             .order_by(m.Unit.id).limit(slice_units)).all()
        lo, hi = unit_ids[0], unit_ids[-1]
        by_unit: dict[int, list[int]] = defaultdict(list)
        for ob, unit in s.execute(select(m.ObligationReporter.obligation_id,
                                         m.ObligationReporter.unit_id)
                                  .where(m.ObligationReporter.unit_id.between(lo, hi))):
            by_unit[unit].append(ob)
        rows = 0
        for unit in unit_ids:
            for ob in by_unit[unit]:
                for o in occ[ob]:
                    s.add(m.Deadline(
                        obligation_id=ob, unit_id=unit, period_key=o.period_key,
                        period_label=o.period_label, period_start=o.period_start,
                        period_end=o.period_end,
                        due_on=o.due if o.window_start is None else o.window_start,
                        original_due_on=o.due if o.window_start is None else o.window_start,
                        window_end=o.window_end, status="open"))
                    rows += 1
            s.commit()
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, inserted=rows,
                      units=len(unit_ids), rows=_count_deadlines(eng)))


# --------------------------------------------------------------------------- parent


def run_backend(backend: str, units: int, baseline: str) -> list[dict[str, Any]]:
    tmp = None
    if backend == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="bench_materialise_")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        url = create_pg_database("materialise")
    expected = units * PER_UNIT
    out: list[dict[str, Any]] = []
    try:
        log(f"{backend}: building {units:,} units x {len(OBLIGATIONS)} obligations")
        setup = build_dataset(url, units)
        log(f"{backend}: set-up {setup['seconds']:.1f} s, {setup['reporters']:,} reporters")
        log(f"{backend}: materialise (product)")
        prod = run_child("bench.materialise", ["--child", "product", "--url", url])
        ok = prod["rows"] == expected
        out.append(dict(backend=backend, variant="product: `materialise()` (set-based)",
                        rows=prod["rows"], seconds=prod["seconds"], measured="full",
                        extrapolated=prod["seconds"], peak=prod["peak_rss_mb"],
                        before=prod["rss_before_mb"],
                        check=f"{prod['rows']:,} rows {'= expected' if ok else '≠ expected'}"
                              f" {expected:,}", setup=setup))
        log(f"{backend}: product {prod['seconds']:.2f} s, {prod['rows']:,} rows, "
            f"peak RSS {prod['peak_rss_mb']:.0f} MB")
        if not ok:
            raise RuntimeError(f"expected {expected} deadlines, got {prod['rows']}")
        log(f"{backend}: materialise again, nothing new (the recompute steps only)")
        again = run_child("bench.materialise", ["--child", "product", "--url", url])
        out.append(dict(backend=backend, variant="product again: nothing new (recompute "
                                                 "steps over the existing rows)",
                        rows=again["inserted"], seconds=again["seconds"], measured="full",
                        extrapolated=again["seconds"], peak=again["peak_rss_mb"],
                        before=again["rss_before_mb"],
                        check=f"{again['inserted']:,} inserted, {again['rows']:,} kept"))
        log(f"{backend}: limit: one INSERT ... SELECT from a prepared table")
        prepare_limit(url)
        lim = run_child("bench.materialise", ["--child", "limit", "--url", url])
        out.append(dict(backend=backend, variant="limit: one INSERT … SELECT of the same "
                                                 "rows from a prepared table",
                        rows=lim["rows"], seconds=lim["seconds"], measured="full",
                        extrapolated=lim["seconds"], peak=lim["peak_rss_mb"],
                        before=lim["rss_before_mb"], check=f"{lim['rows']:,} rows"))
        log(f"{backend}: limit {lim['seconds']:.2f} s")
        reset_deadlines(url)
        log(f"{backend}: materialise (product), second run on the emptied table")
        prod2 = run_child("bench.materialise", ["--child", "product", "--url", url])
        out.append(dict(backend=backend, variant="product: `materialise()`, second run "
                                                 "(emptied table, like the limit)",
                        rows=prod2["rows"], seconds=prod2["seconds"], measured="full",
                        extrapolated=prod2["seconds"], peak=prod2["peak_rss_mb"],
                        before=prod2["rss_before_mb"], check=f"{prod2['rows']:,} rows",
                        setup=setup))
        if baseline == "skip":
            return out
        slices = []
        if baseline in ("auto", "slice"):
            slices.append(max(1, units // 10))
        if baseline == "full":
            slices.append(units)
        while slices:
            n = slices.pop(0)
            reset_deadlines(url)
            log(f"{backend}: baseline ORM loop over {n:,} units")
            base = run_child("bench.materialise", ["--child", "baseline", "--url", url,
                                                   "--slice", str(n)])
            factor = expected / max(base["inserted"], 1)
            extra = base["seconds"] * factor
            label = "full" if n == units else f"1/{units // n} slice ({n:,} units)"
            out.append(dict(backend=backend,
                            variant="baseline: per-row ORM loop (commit per unit)",
                            rows=base["inserted"], seconds=base["seconds"], measured=label,
                            extrapolated=extra, peak=base["peak_rss_mb"],
                            before=base["rss_before_mb"],
                            check="measured" if n == units else
                                  f"time × {factor:.0f} (linear extrapolation)"))
            log(f"{backend}: baseline {base['seconds']:.1f} s for {base['inserted']:,} rows "
                f"-> {extra:.0f} s for {expected:,}")
            if baseline == "auto" and n < units and extra <= BASELINE_FULL_LIMIT_S:
                slices.append(units)
        return out
    finally:
        if tmp is not None:
            tmp.cleanup()
        else:
            drop_pg_database(url)


def render(results: list[dict[str, Any]], units: int, facts: str, load: str,
           wall: float) -> str:
    rows = []
    for r in results:
        rows.append([r["backend"], r["variant"], r["measured"], r["rows"], r["seconds"],
                     r["extrapolated"], r["peak"], r["before"], r["check"]])
    tab = table(["backend", "variant", "measured on", "rows", "time (s)",
                 f"time for {units * PER_UNIT:,} rows (s)", "peak RSS (MB)",
                 "RSS before step (MB)", "check"], rows)
    verdicts = []
    for b in dict.fromkeys(r["backend"] for r in results):
        runs = [r for r in results if r["backend"] == b and r["variant"].startswith("product:")]
        lim = [r for r in results if r["backend"] == b and r["variant"].startswith("limit")]
        if runs and lim:
            best = min(x["seconds"] for x in runs)
            times = " and ".join(f"{x['seconds']:.2f}" for x in runs)
            verdicts.append(
                f"- **{b}, against the limit**: product {times} s, "
                f"limit {lim[0]['seconds']:.2f} s: {best / lim[0]['seconds']:.2f}× the limit "
                f"({'within' if best <= 2 * lim[0]['seconds'] else 'over'} 2×)"
                + (f", {'under' if best < 3 else 'over'} the 3 s SQLite target"
                   if b == "sqlite" else ""))
    for r in results:
        if r["variant"] == "product: `materialise()` (set-based)":
            prod = r
            base = [b for b in results if b["backend"] == r["backend"] and b is not r]
            ratio = (f"; {base[-1]['extrapolated'] / prod['seconds']:.0f}× faster than the "
                     f"baseline" if base else "")
            verdicts.append(
                f"- **{r['backend']}**: {r['seconds']:.1f} s "
                f"({'meets' if r['seconds'] < TARGET_S else 'misses'} the {TARGET_S:.0f} s "
                f"target), peak RSS {r['peak']:.0f} MB "
                f"({'meets' if r['peak'] < TARGET_MB else 'misses'} the "
                f"{TARGET_MB:.0f} MB target){ratio}; set-up (not measured) "
                f"{r['setup']['seconds']:.0f} s for {r['setup']['reporters']:,} "
                f"obligation_reporters rows")
    return "\n".join([
        f"## Materialise one year: {units:,} units × {PER_UNIT} occurrences "
        f"({units * PER_UNIT:,} deadlines)",
        "",
        f"Script: `python -m bench.materialise --units {units}`. Machine: {facts}.",
        "",
        f"Load while it ran ({wall / 60:.1f} min): {load}.",
        "",
        "Data set: 1 province unit (issuer and recipient), the reporting units, one plan "
        f"for {YEAR}, {len(OBLIGATIONS)} obligations valid only in {YEAR} (monthly, "
        "quarterly, half-year, nine-months and yearly periodic rules on the Nghị định 09 "
        "basis + 5 fixed dates = 25 occurrences), every unit a reporter of every "
        "obligation. Product: `materialise(session, until=2027-12-31, cal=...)` in one "
        "transaction (including its recompute steps `_move_changed`/`_cancel_vanished`). "
        "Baseline: the obligations' occurrences computed once, then for each unit and "
        "occurrence `session.add(Deadline(...))`, one `commit()` per unit (875,000 "
        "single-row commits would be slower still).",
        "",
        tab,
        "",
        f"Targets: under {TARGET_S:.0f} s and under {TARGET_MB:.0f} MB peak RSS.",
        "",
        *verdicts,
    ])


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--units", type=int, default=UNITS)
    p.add_argument("--baseline", choices=["auto", "slice", "full", "skip"], default="auto")
    p.add_argument("--no-doc", action="store_true", help="print only, leave docs/ alone")
    p.add_argument("--child", choices=["product", "baseline", "limit"], help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--slice", type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child == "product":
        child_product(a.url)
        return ""
    if a.child == "baseline":
        child_baseline(a.url, a.slice)
        return ""
    if a.child == "limit":
        child_limit(a.url)
        return ""
    backends = ["sqlite", "postgresql"] if a.backend == "both" else [a.backend]
    facts = machine_facts(with_pg="postgresql" in backends)
    results: list[dict[str, Any]] = []
    with LoadMonitor() as mon:
        for b in backends:
            results += run_backend(b, a.units, a.baseline)
    section = render(results, a.units, facts, mon.summary(), mon.elapsed)
    print(section)
    if not a.no_doc:
        update_section("materialise", section)
    return section


if __name__ == "__main__":
    main(sys.argv[1:])
