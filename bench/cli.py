"""Benchmark: how long the `danvan` command takes to answer.

    python -m bench.cli [--runs 10] [--units N] [--baseline-commit REV] [--no-doc]

Measured as an operator meets it: the wall time of the whole process (start, imports,
work, exit), the median of `--runs` runs, each in a fresh process:

* `danvan --help`;
* `danvan deadlines list --unit U` on the national data set (bench/dashboards.py's:
  35,000 units, 875,000 deadlines, SQLite), for one unit;

with, in the same run, the floors and the code before this change:

* `python -c pass` (the interpreter) and `python -c "import typer"` (the CLI framework);
* the same two commands from `--baseline-commit` (default: the commit before the CLI
  imported lazily), checked out with `git worktree` and put first on `sys.path`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import (
    ROOT,
    LoadMonitor,
    log,
    machine_facts,
    table,
    update_section,
)

BASELINE_COMMIT = "4b9ebca"  # the last commit whose CLI imported everything up front
HELP_TARGET_S, LIST_TARGET_S = 0.5, 1.0
UNIT = "U000123"


def _runner(src: Path | None) -> list[str]:
    """`danvan` from the working tree, or from another checkout put first on sys.path."""
    code = ("import sys; sys.argv[0] = 'danvan'; "
            + (f"sys.path.insert(0, {str(src)!r}); " if src else "")
            + "from danvan_workflow.cli.main import run; run()")
    return [sys.executable, "-c", code]


def _time(cmd: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    walls = []
    out = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd} failed: {proc.stderr[-2000:]}")
        out = proc.stdout
    return dict(median=statistics.median(walls), min=min(walls), max=max(walls),
                lines=len(out.splitlines()))


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--units", type=int, default=35_000)
    p.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    p.add_argument("--no-doc", action="store_true")
    a = p.parse_args(argv)
    from bench.dashboards import build_dashboard_dataset

    facts = machine_facts(with_pg=False)
    with tempfile.TemporaryDirectory(prefix="bench_cli_") as tmp, LoadMonitor() as mon:
        db = Path(tmp) / "bench.db"
        log(f"building the national data set ({a.units:,} units)")
        setup = build_dashboard_dataset(f"sqlite:///{db}", a.units)
        old = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), a.baseline_commit],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            env = {**os.environ, "DANVAN_DATABASE_URL": f"sqlite:///{db}",
                   "DANVAN_HOME": tmp, "COLUMNS": "200"}
            rows: list[list[Any]] = []
            got: dict[str, dict[str, Any]] = {}
            cases = [
                ("interpreter: `python -c pass`", [sys.executable, "-c", "pass"]),
                ("framework: `python -c 'import typer'`",
                 [sys.executable, "-c", "import typer"]),
                ("`danvan --help` (this commit)", [*_runner(None), "--help"]),
                (f"`danvan --help` (baseline `{a.baseline_commit}`)",
                 [*_runner(old), "--help"]),
                (f"`danvan deadlines list --unit {UNIT}` (this commit)",
                 [*_runner(None), "deadlines", "list", "--unit", UNIT]),
                (f"`danvan deadlines list --unit {UNIT}` (baseline `{a.baseline_commit}`)",
                 [*_runner(old), "deadlines", "list", "--unit", UNIT]),
            ]
            for label, cmd in cases:
                log(label)
                r = _time(cmd, env, a.runs)
                got[label] = r
                rows.append([label, r["median"], r["min"], r["max"], r["lines"]])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                           capture_output=True)
    help_now = got["`danvan --help` (this commit)"]["median"]
    list_now = got[f"`danvan deadlines list --unit {UNIT}` (this commit)"]["median"]
    section = "\n".join([
        "## The command line: `danvan --help` and one unit's deadlines",
        "",
        f"Script: `python -m bench.cli --runs {a.runs} --units {a.units}`. Machine: {facts}.",
        "",
        f"Load while it ran ({mon.elapsed / 60:.1f} min): {mon.summary()}.",
        "",
        f"Each line: the wall time of a whole process, {a.runs} runs, each fresh. Data set "
        f"for the list: bench/dashboards.py's ({setup['deadlines']:,} deadlines, "
        f"{a.units:,} units under {setup['districts']} districts, SQLite); unit {UNIT} has "
        "25 deadlines. Baseline: the same commands from the commit before the CLI "
        "imported lazily, checked out beside this one (`git worktree`).",
        "",
        table(["command", "median (s)", "min (s)", "max (s)", "lines printed"], rows),
        "",
        f"Targets: `danvan --help` under {HELP_TARGET_S} s, one unit's list under "
        f"{LIST_TARGET_S:.0f} s.",
        "",
        f"- `danvan --help`: {help_now:.2f} s "
        f"({'meets' if help_now < HELP_TARGET_S else 'misses'} the target); the CLI now "
        "imports SQLAlchemy, pydantic, Apprise and the services inside the command that "
        "needs them (tests/test_cli_imports.py keeps it so).",
        f"- `danvan deadlines list --unit {UNIT}`: {list_now:.2f} s "
        f"({'meets' if list_now < LIST_TARGET_S else 'misses'} the target).",
    ])
    print(section)
    if not a.no_doc:
        update_section("cli", section)
    return section


if __name__ == "__main__":
    main(sys.argv[1:])
