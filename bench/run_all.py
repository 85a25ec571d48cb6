"""Run the benchmarks with their default sizes and rewrite docs/benchmarks.md.

    python -m bench.run_all        (what `make bench` runs)

Takes about 20 minutes on a 2-core machine (the baselines dominate).
"""

from __future__ import annotations

import sys

from bench import cli, dashboards, dispatch, materialise, sweep
from bench._common import DOC, log, write_doc


def main(argv: list[str] | None = None) -> None:
    sections = {}
    for name, mod in (("materialise", materialise), ("sweep", sweep), ("dispatch", dispatch),
                      ("dashboards", dashboards), ("cli", cli)):
        log(f"=== {name} ===")
        sections[name] = mod.main(["--no-doc", *(argv or [])])
    write_doc(sections)
    log(f"wrote {DOC}")


if __name__ == "__main__":
    main(sys.argv[1:])
