"""Shared helpers for the benchmark scripts (not a test module; no timing asserts).

- every measured variant runs in a fresh child process (``run_child``); its peak
  RSS is read with ``os.wait4`` (the per-child form of ``getrusage(RUSAGE_CHILDREN)``,
  so one variant's peak never hides another's) and its wall time comes from
  ``time.perf_counter`` inside the child around the measured call only;
- ``LoadMonitor`` samples /proc while a benchmark runs, so that the results say
  how busy the 2-core machine was (other engineers run tests concurrently);
- ``machine_facts`` and ``update_section`` write the results to docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql://danvan:danvan@127.0.0.1:5432/postgres")
RESULT_PREFIX = "BENCH-RESULT "
SECTIONS = ("materialise", "sweep", "dispatch", "dashboards", "cli")


# --------------------------------------------------------------------------- children


def child_result(data: dict[str, Any]) -> None:
    """Called in a child: print the result line the parent reads."""
    data["self_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(RESULT_PREFIX + json.dumps(data, default=str), flush=True)


def rss_now_mb() -> float:
    """Peak RSS of this process so far (MB); children call it just before the measured step."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(module: str, args: list[str], env: dict[str, str] | None = None,
              timeout: float = 3600) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh process; return its result and peak RSS."""
    cmd = [sys.executable, "-m", module, *args]
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("DANVAN_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "danvan-bench"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child {module} {args} failed with {proc.returncode}:\n{out[-3000:]}")
    lines = [ln for ln in out.splitlines() if ln.startswith(RESULT_PREFIX)]
    if not lines:
        raise RuntimeError(f"child {module} {args} printed no result:\n{out[-3000:]}")
    res: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
    res["peak_rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    res["process_wall_s"] = wall
    return res


# --------------------------------------------------------------------------- databases


def pg_url_for(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def create_pg_database(prefix: str) -> str:
    from sqlalchemy import text

    from danvan_workflow.db.session import make_engine

    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    eng = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return pg_url_for(name)


def drop_pg_database(url: str) -> None:
    from sqlalchemy import text

    from danvan_workflow.db.session import make_engine

    name = url.rsplit("/", 1)[1]
    eng = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def pg_version() -> str:
    try:
        from sqlalchemy import text

        from danvan_workflow.db.session import make_engine

        eng = make_engine(PG_ADMIN_URL)
        with eng.connect() as conn:
            v = str(conn.execute(text("SHOW server_version")).scalar())
        eng.dispose()
        return v
    except Exception as exc:  # server down: say so in the results
        return f"unavailable ({type(exc).__name__})"


# --------------------------------------------------------------------------- load


def _read_procs() -> dict[int, tuple[int, str, int]]:
    """pid -> (ppid, comm, utime+stime ticks)."""
    out: dict[int, tuple[int, str, int]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            raw = (p / "stat").read_text()
        except OSError:
            continue
        lp, rp = raw.find("("), raw.rfind(")")
        comm = raw[lp + 1:rp]
        f = raw[rp + 2:].split()
        out[int(p.name)] = (int(f[1]), comm, int(f[11]) + int(f[12]))
    return out


def _label(pid: int, comm: str) -> str:
    if not comm.startswith("python") and comm not in ("pytest", "prefect"):
        return comm
    try:
        argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return comm
    words = [a.decode(errors="replace") for a in argv[1:4] if a]
    words = [Path(w).name if "/" in w else w for w in words]
    return ("python " + " ".join(words))[:48]


class LoadMonitor:
    """Samples CPU use of processes outside this benchmark's process tree."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self.me = os.getpid()
        self.cores_by_label: dict[str, float] = defaultdict(float)
        self.pg_ticks = 0
        self.other_ticks = 0
        self.loadavg: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = 0.0
        self.elapsed = 0.0

    def _ours(self, procs: dict[int, tuple[int, str, int]]) -> set[int]:
        ours, changed = {self.me}, True
        while changed:
            changed = False
            for pid, (ppid, _, _) in procs.items():
                if ppid in ours and pid not in ours:
                    ours.add(pid)
                    changed = True
        return ours

    def _run(self) -> None:
        prev = _read_procs()
        while not self._stop.wait(self.interval):
            cur = _read_procs()
            ours = self._ours(cur)
            for pid, (_, comm, ticks) in cur.items():
                if pid in ours or pid not in prev:
                    continue
                d = ticks - prev[pid][2]
                if d <= 0:
                    continue
                if comm.startswith("postgres"):
                    self.pg_ticks += d
                else:
                    self.other_ticks += d
                    self.cores_by_label[_label(pid, comm)] += d
            self.loadavg.append(float(Path("/proc/loadavg").read_text().split()[0]))
            prev = cur

    def __enter__(self) -> LoadMonitor:
        self.started = time.perf_counter()
        self.loadavg.append(float(Path("/proc/loadavg").read_text().split()[0]))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.elapsed = time.perf_counter() - self.started

    def summary(self) -> str:
        hz = os.sysconf("SC_CLK_TCK")
        wall = max(self.elapsed, 1e-9)
        others = self.other_ticks / hz / wall
        pg = self.pg_ticks / hz / wall
        top = sorted(self.cores_by_label.items(), key=lambda kv: -kv[1])[:4]
        busy = ", ".join(f"`{k}` {v / hz / wall:.2f}" for k, v in top if v / hz / wall >= 0.02)
        la = self.loadavg or [0.0]
        return (f"load average (1 min) {la[0]:.2f} at start, max {max(la):.2f}, "
                f"{la[-1]:.2f} at end; processes outside this benchmark used on average "
                f"{others:.2f} cores (of {os.cpu_count()})"
                + (f" — {busy}" if busy else "")
                + f"; all `postgres` processes (this benchmark's backends and others') "
                  f"{pg:.2f} cores")


# --------------------------------------------------------------------------- facts, docs


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def git_dirty() -> bool:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "danvan_workflow"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
        return bool(out.strip())
    except (OSError, subprocess.CalledProcessError):
        return False


def ram_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def machine_facts(with_pg: bool = True) -> str:
    dirty = " (with uncommitted changes in danvan_workflow/)" if git_dirty() else ""
    return (f"{os.cpu_count()} cores (`nproc`), {ram_gb():.1f} GB RAM, "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}"
            + (f", PostgreSQL {pg_version()} (127.0.0.1)" if with_pg else "")
            + f"; {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; "
              f"commit `{git_commit()}`{dirty}")


def table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


HEADER = """# Benchmarks

Generated by `make bench` (`python -m bench.run_all`) or by one script at a time
(`python -m bench.materialise`, `python -m bench.sweep`, `python -m bench.dispatch`,
`python -m bench.dashboards`, `python -m bench.cli`; each rewrites only its own section
below). See `bench/README.md` for options.

Method, common to all (bench.cli times whole processes instead, see its section):

- every measured variant (product code and baseline) runs in its own fresh child
  process, in the same run; the data set is built beforehand by another process;
- **time** is `time.perf_counter()` in the child around the measured call only
  (set-up, imports and the working-day calendar are outside it);
- **peak RSS** is the child's `ru_maxrss` read with `os.wait4` (the per-child form
  of `getrusage(RUSAGE_CHILDREN)`); it includes the interpreter and imports
  (~100 MB: SQLAlchemy, pydantic, Apprise...), shown as "RSS before" when useful.
  PostgreSQL's own server memory is not in it;
- the machine is shared: other engineers' test suites run at the same time, so each
  section records the load seen while it ran (CPU used by processes outside the
  benchmark, sampled from /proc every 2 s). Numbers on a quiet machine may be better.

History worth keeping (the sections below are regenerated; this note is not, it lives
in `bench/_common.py`):

- The first sweep run (commit `ce2f5cd`) took 210 s on SQLite and 142 s on PostgreSQL:
  linking each new notification to its digest message was a correlated subquery over
  the sweep's messages with no index (notifications × messages). The sweep now collects
  items in a keyed temp table, drops those already planned, groups them and writes each
  notification once with its message id, and starts from the few due dates hit that
  day. On PostgreSQL the temp tables are `ANALYZE`d: without statistics it chose hash
  joins over all open deadlines.
- PostgreSQL sweep: 2.01 s in November. In December the due dates of the day became
  values (`due_on IN ('2027-01-29', ...)`): with a subquery PostgreSQL scanned all
  875,000 deadlines. What is left is mostly the INSERT of 52,001 notification rows:
  `EXPLAIN ANALYZE` gives 0.39 s for the insert and 0.97 s for the three foreign-key
  triggers (deadline, contact, message), run once per row.
- Dispatch: 1,010 msg/s at 50 ms in November; the December session found 118 msg/s.
  Marking each send started and recording each result in its own transaction (added
  for crash safety) made 64 threads queue on SQLite's write lock, whose busy handler
  sleeps 1–100 ms however soon the lock is free. Now one ledger thread commits starts
  and results in groups, the threads of a process take turns for SQLite in the process,
  completions come through a queue, and the next batch is claimed while the last one
  sends: 425 msg/s at 50 ms, 493 at 0 ms. The November figure had neither the start
  marks nor the shared rate limit.
- Dashboards: 19.0 s and 1,063 MB on 01/11/2027 before the per-unit figures (the
  baseline rows keep the former overdue/upcoming lists).
- The materialise section's first run was measured with SQLAlchemy 2.1.9, before the
  pin to 2.0.58 (Prefect 3.8's scheduler needs 2.0); the statements are the same.
"""


def _marker(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def _wrap(name: str, body: str) -> str:
    start, end = _marker(name)
    return f"{start}\n{body.strip()}\n{end}"


def write_doc(sections: dict[str, str]) -> None:
    """Rewrite docs/benchmarks.md with the header and the given sections (others kept)."""
    old = _read_sections()
    parts = [HEADER.strip()]
    for name in SECTIONS:
        body = sections.get(name) or old.get(name) or f"## {name}\n\n_Not run yet._"
        parts.append(_wrap(name, body))
    DOC.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def update_section(name: str, body: str) -> None:
    write_doc({name: body})


def _read_sections() -> dict[str, str]:
    if not DOC.exists():
        return {}
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for name in SECTIONS:
        start, end = _marker(name)
        i, j = text.find(start), text.find(end)
        if i >= 0 and j > i:
            out[name] = text[i + len(start):j].strip()
    return out


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)
