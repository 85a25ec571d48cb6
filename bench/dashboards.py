"""Benchmark: the dashboards (every table the daily sweep publishes) on the national data set.

    python -m bench.dashboards [--backend sqlite|postgresql|both] [--units N]
                               [--day YYYY-MM-DD] [--no-doc]

Data set: the sweep benchmark's (bench/sweep.py: 35,000 units, 875,000 open deadlines
spread over the 2027 working days, contacts), with the units regrouped under districts
so that the roll-up follows a real hierarchy: the province, one district per 70 units
(500 districts), each commune under its district. On 01/11/2027 about 720,000
deadlines are overdue.

Measured, each in a fresh process on the same data:

* the daily sweep's step that counts the per-unit figures (`figures.refresh`);
* product: `dashboards.all_tables(session, day)` — every table (upcoming, overdue,
  roll-up, rates by unit and by plan, quotas, outbox), with each table's time, after
  that step; then again with the figures stale (as after a bulk write), when the first
  read rebuilds them;
* baseline: the overdue and upcoming tables as they were built before (every matching
  deadline loaded into Python by `list_deadlines` without a limit, then cut to 500 rows).
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
from bench.materialise import PER_UNIT, UNITS, YEAR
from bench.sweep import build_sweep_dataset

DAY = dt.date(YEAR, 11, 1)
PER_DISTRICT = 70
TARGET_S, TARGET_MB = 1.0, 150.0


def build_dashboard_dataset(url: str, units: int) -> dict[str, Any]:
    """The sweep data set, with communes grouped under districts (set-based)."""
    from sqlalchemy import func, insert, literal, select, text, update

    from danvan_workflow.db import models as m
    from danvan_workflow.db.session import make_engine

    t0 = time.perf_counter()
    setup = build_sweep_dataset(url, units)
    eng = make_engine(url)
    U = m.tbl(m.Unit)
    with eng.begin() as conn:
        prov = conn.execute(select(U.c.id).where(U.c.code == "TINH")).scalar_one()
        first = conn.execute(select(U.c.id).where(U.c.id != prov).order_by(U.c.id)
                             .limit(1)).scalar_one()
        districts = (units + PER_DISTRICT - 1) // PER_DISTRICT
        conn.execute(insert(U), [dict(code=f"HUYEN{i:04d}", name=f"Huyện thử tải {i}", kind="party",
                                      level="district", parent_id=prov, assumed=False)
                                 for i in range(districts)])
        # commune k (in id order) goes to district k // PER_DISTRICT
        hu = U.alias("hu")
        slot = (U.c.id - first) // PER_DISTRICT
        conn.execute(update(U).where(U.c.level == "commune").values(
            parent_id=select(hu.c.id).where(
                hu.c.code == literal("HUYEN") + func_lpad(slot, conn.dialect.name))
            .scalar_subquery()))
        orphans = conn.execute(select(func.count()).select_from(U).where(
            U.c.level == "commune", U.c.parent_id.is_(None))).scalar_one()
    if eng.dialect.name == "postgresql":
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE units"))
    eng.dispose()
    return {**setup, "districts": districts, "orphans": orphans,
            "seconds": time.perf_counter() - t0}


def func_lpad(slot: Any, dialect: str) -> Any:
    """Four-digit zero-padded district number (SQLite has no lpad)."""
    from sqlalchemy import Integer, String, cast, func

    n = cast(slot, Integer)
    if dialect == "postgresql":
        return func.lpad(cast(n, String), 4, "0")
    return func.printf("%04d", n)


def child_refresh(url: str, day: dt.date) -> None:
    """The daily sweep's step "Tính số liệu theo đơn vị": the figures counted for the day."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from danvan_workflow.db import models as m
    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services import figures

    eng = make_engine(url)
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    with Session(eng) as s, s.begin():
        figures.refresh(s, day)
    seconds = time.perf_counter() - t0
    with Session(eng) as s:
        rows = s.execute(select(func.count()).select_from(m.UnitFigures)).scalar_one()
    child_result(dict(seconds=seconds, rss_before_mb=rss_before,
                      steps={"figures.refresh": seconds}, sizes={"figure rows": rows}))


def child_product(url: str, day: dt.date, cold: bool) -> None:
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from danvan_workflow import dashboards
    from danvan_workflow.db import models as m
    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services.calendar import calendar_for

    eng = make_engine(url)
    with Session(eng) as s:
        calendar_for(s)  # the calendar is cached per process, as in the engine
    if cold:  # as after a bulk write: the first read rebuilds the figures
        with Session(eng) as s, s.begin():
            s.execute(update(m.tbl(m.FiguresState)).values(stale=True))
    rss_before = rss_now_mb()
    steps: dict[str, float] = {}
    sizes: dict[str, int] = {}
    t0 = time.perf_counter()
    with Session(eng) as s, s.begin():
        for name, fn in (("upcoming", lambda: dashboards.upcoming(s, day)),
                         ("overdue", lambda: dashboards.overdue(s, day)),
                         ("rollup", lambda: dashboards.rollup(s, day)),
                         ("rates by unit", lambda: dashboards.rates_by_unit(s, day)),
                         ("rates by plan", lambda: dashboards.rates_by_plan(s, day)),
                         ("quotas", lambda: dashboards.quotas(s, day.year)),
                         ("outbox", lambda: dashboards.outbox(s))):
            t = time.perf_counter()
            tab = fn()
            steps[name] = time.perf_counter() - t
            sizes[name] = tab.total
            md = dashboards.markdown_table(tab.rows, limit=len(tab.rows) or 1)
            sizes[name + " bytes"] = len(md.encode())
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before, steps=steps, sizes=sizes))


def child_baseline(url: str, day: dt.date) -> None:
    from sqlalchemy.orm import Session

    from danvan_workflow.db.session import make_engine
    from danvan_workflow.services.calendar import calendar_for
    from danvan_workflow.services.queries import list_deadlines

    eng = make_engine(url)
    with Session(eng) as s:
        calendar_for(s)
    rss_before = rss_now_mb()
    t0 = time.perf_counter()
    with Session(eng) as s:
        late = list_deadlines(s, end=day - dt.timedelta(days=1), include_continuous=False,
                              open_only=True, current_only=True)
        late = sorted(late, key=lambda d: d.due_on or day, reverse=True)[:500]
        soon = list_deadlines(s, start=day, end=day + dt.timedelta(days=14),
                              include_continuous=False, open_only=True, current_only=True)
        soon_total = len(soon)
        soon = sorted(soon, key=lambda d: (d.reporter_code, d.due_on or day))[:500]
    seconds = time.perf_counter() - t0
    child_result(dict(seconds=seconds, rss_before_mb=rss_before,
                      steps={"upcoming + overdue": seconds},
                      sizes={"upcoming": soon_total, "overdue": len(late)}))


def run_backend(backend: str, units: int, day: dt.date) -> list[dict[str, Any]]:
    tmp = None
    if backend == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="bench_dash_")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        url = create_pg_database("dash")
    out: list[dict[str, Any]] = []
    try:
        log(f"{backend}: building {units * PER_UNIT:,} deadlines under districts")
        setup = build_dashboard_dataset(url, units)
        log(f"{backend}: set-up {setup['seconds']:.1f} s: {setup}")
        for variant in ("refresh", "product", "cold", "baseline"):
            log(f"{backend}: {variant}")
            r = run_child("bench.dashboards", ["--child", variant, "--url", url,
                                               "--day", day.isoformat()])
            log(f"{backend}: {variant} {r['seconds']:.2f} s, peak {r['peak_rss_mb']:.0f} MB "
                f"{r['steps']}")
            out.append(dict(backend=backend, variant=variant, setup=setup, **r))
        return out
    finally:
        if tmp is not None:
            tmp.cleanup()
        else:
            drop_pg_database(url)


LABELS = {"refresh": "daily sweep step: `figures.refresh()` (per-unit figures for the day)",
          "product": "product: `dashboards.all_tables()` (every table), after the sweep",
          "cold": "product: `dashboards.all_tables()` with stale figures (rebuilt first)",
          "baseline": "baseline: overdue + upcoming only, every matching deadline loaded "
                      "into Python (as before)"}


def render(results: list[dict[str, Any]], units: int, day: dt.date, facts: str, load: str,
           wall: float) -> str:
    rows = [[r["backend"], LABELS[r["variant"]], r["seconds"], r["peak_rss_mb"],
             r["rss_before_mb"],
             "; ".join(f"{k} {v:.2f}" for k, v in r["steps"].items())] for r in results]
    tab = table(["backend", "variant", "time (s)", "peak RSS (MB)", "RSS before step (MB)",
                 "time per table (s)"], rows)
    notes = []
    for b in dict.fromkeys(r["backend"] for r in results):
        got = {r["variant"]: r for r in results if r["backend"] == b}
        prod, base, cold, ref = got["product"], got["baseline"], got["cold"], got["refresh"]
        ok_t, ok_m = prod["seconds"] < TARGET_S, prod["peak_rss_mb"] < TARGET_MB
        sz = prod["sizes"]
        notes.append(
            f"- **{b}**: {prod['seconds']:.2f} s ({'meets' if ok_t else 'misses'} the "
            f"{TARGET_S:.0f} s target), peak RSS {prod['peak_rss_mb']:.0f} MB "
            f"({'meets' if ok_m else 'misses'} the {TARGET_MB:.0f} MB target), after the "
            f"sweep's figure step ({ref['seconds']:.2f} s, {ref['sizes']['figure rows']:,} "
            f"rows). With stale figures (after a bulk write) the first read rebuilds them: "
            f"{cold['seconds']:.2f} s, {cold['peak_rss_mb']:.0f} MB. The baseline "
            f"needs {base['seconds']:.2f} s and {base['peak_rss_mb']:.0f} MB for two of the "
            f"seven tables. Rows behind the tables: {sz['overdue']:,} overdue, "
            f"{sz['upcoming']:,} upcoming, {sz['rollup']:,} roll-up rows, "
            f"{sz['rates by unit']:,} units; largest table as Markdown "
            f"{max(v for k, v in sz.items() if k.endswith('bytes')) / 1024:.0f} KB.")
    s0 = results[0]["setup"]
    return "\n".join([
        f"## Dashboards on the national data set ({units:,} units, "
        f"{units * PER_UNIT:,} deadlines) for {day:%d/%m/%Y}",
        "",
        f"Script: `python -m bench.dashboards --units {units} --day {day.isoformat()}`. "
        f"Machine: {facts}.",
        "",
        f"Load while it ran ({wall / 60:.1f} min): {load}.",
        "",
        "Data set: the sweep benchmark's (open deadlines spread over the 2027 working days, "
        f"none submitted), with the communes grouped under {s0['districts']:,} districts of "
        f"{PER_DISTRICT} under the province, so that the roll-up walks a three-level tree. "
        "Product: `dashboards.all_tables(session, day)`, each table timed; every table is "
        "limited (500 rows) and aggregated in SQL, with one COUNT for its total. Baseline: "
        "the overdue and upcoming tables as built before (`list_deadlines` without a "
        "limit, then sorted and cut in Python).",
        "",
        tab,
        "",
        f"Targets: under {TARGET_S:.0f} s and under {TARGET_MB:.0f} MB peak RSS.",
        "",
        *notes,
    ])


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--units", type=int, default=UNITS)
    p.add_argument("--day", type=dt.date.fromisoformat, default=DAY)
    p.add_argument("--no-doc", action="store_true", help="print only, leave docs/ alone")
    p.add_argument("--child", choices=["refresh", "product", "cold", "baseline"],
                   help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child == "refresh":
        child_refresh(a.url, a.day)
        return ""
    if a.child in ("product", "cold"):
        child_product(a.url, a.day, cold=a.child == "cold")
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
        update_section("dashboards", section)
    return section


if __name__ == "__main__":
    main(sys.argv[1:])
