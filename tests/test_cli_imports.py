"""`danvan --help` (and every command's parsing) must not pay for the whole engine.

The CLI imports SQLAlchemy, pydantic, Apprise and Prefect only inside the command that
needs them; bench/cli.py measures the time this saves (docs/benchmarks.md).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "pydantic", "apprise", "prefect", "openpyxl", "docx", "holidays")


def test_help_imports_nothing_heavy() -> None:
    code = ("import sys; from danvan_workflow.cli.main import app; "
            "from typer.testing import CliRunner; r = CliRunner().invoke(app, ['--help']); "
            "assert r.exit_code == 0, r.output; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"`danvan --help` imported {out}"


def test_a_command_still_reports_a_missing_database_in_vietnamese(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLAlchemy's errors are recognised although the CLI no longer imports it up front."""
    env = {"DANVAN_DATABASE_URL": f"sqlite:///{tmp_path / 'never-upgraded.db'}",
           "DANVAN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "danvan_workflow.cli.main", "deadlines", "list"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 1, r.stderr
    assert "chưa được khởi tạo" in r.stderr and "Traceback" not in r.stderr
