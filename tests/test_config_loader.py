"""Configuration loading: every error names file and line; a failed load changes nothing."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.db.models import Base
from danvan_workflow.errors import ConfigErrors
from danvan_workflow.services import config as config_service
from tests.conftest import CONFIG


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(CONFIG, dst)
    return dst


def edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace `old` in a file; return the 1-based line where the change starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def first_unit(path: Path) -> str:
    m = re.search(r"code: (\S+)", path.read_text(encoding="utf-8"))
    assert m
    return m.group(1)


def test_shipped_config_loads_and_lists_five_plans(engine: Engine) -> None:
    res = config_service.load(CONFIG, engine=engine)
    assert res.report.any
    counts = table_counts(engine)
    assert counts["plans"] == 5
    assert counts["units"] > 100
    assert counts["deadlines"] > 0
    out = CliRunner().invoke(app, ["plans", "list"])
    assert out.exit_code == 0, out.output
    for code in ("19-KH/BCĐ", "26-KH/BCĐ", "294/KH-VP"):
        assert code in out.output


def test_reload_unchanged_reports_nothing_and_writes_nothing(engine: Engine) -> None:
    config_service.load(CONFIG, engine=engine)
    writes: list[str] = []

    def spy(conn, cursor, statement: str, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        res = config_service.load(CONFIG, engine=engine)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert not res.report.any
    assert writes == []


def test_changed_file_reports_what_changed(engine: Engine, cfg: Path) -> None:
    config_service.load(cfg, engine=engine)
    units = cfg / "units" / "duc-pho.yaml"
    code = first_unit(units)
    text = units.read_text(encoding="utf-8")
    name_line = re.search(r"name: (.+)", text)
    assert name_line
    edit(units, name_line.group(0), "name: Tên mới của đơn vị")
    res = config_service.load(cfg, engine=engine)
    assert res.report.tables["units"].changed == [code]
    assert res.report.tables["units"].added == []


ERRORS: list[tuple[str, Callable[[Path], tuple[str, int]], str]] = []


def _unknown_unit(cfg: Path) -> tuple[str, int]:
    path = cfg / "contacts" / "duc-pho.yaml"
    m = re.search(r"unit: (\S+)", path.read_text(encoding="utf-8"))
    assert m
    line = edit(path, m.group(0), "unit: KHONG.TON.TAI")
    return "config/contacts/duc-pho.yaml", line


def _duplicate_code(cfg: Path) -> tuple[str, int]:
    path = cfg / "units" / "duc-pho.yaml"
    text = path.read_text(encoding="utf-8")
    codes = re.findall(r"code: (\S+)", text)
    line = edit(path, f"code: {codes[1]}\n", f"code: {codes[0]}\n")
    return "config/units/duc-pho.yaml", line


def _own_ancestor(cfg: Path) -> tuple[str, int]:
    path = cfg / "units" / "dong-nai.yaml"
    text = path.read_text(encoding="utf-8")
    code = first_unit(path)
    # give the root unit a parent that descends from it
    child = re.search(rf"code: (\S+)\n(?:.*\n)*?\s+parent: {re.escape(code)}\n", text)
    assert child
    head = f"code: {code}\n"
    line = edit(path, head, f"{head}    parent: {child.group(1)}\n")
    return "config/units/dong-nai.yaml", line


def _malformed_date(cfg: Path) -> tuple[str, int]:
    path = cfg / "calendar" / "2026.yaml"
    line = edit(path, "2026-01-02", "2026-02-31")
    return "config/calendar/2026.yaml", line


def _unknown_field(cfg: Path) -> tuple[str, int]:
    path = cfg / "units" / "tay-ninh.yaml"
    code = first_unit(path)
    line = edit(path, f"code: {code}\n", f"code: {code}\n    colour: đỏ\n") + 1
    return "config/units/tay-ninh.yaml", line


def _yaml_syntax(cfg: Path) -> tuple[str, int]:
    path = cfg / "plans" / "duc-pho-26-kh-bcd.yaml"
    text = path.read_text(encoding="utf-8")
    m = re.search(r"\n  title: .*\n", text)
    assert m
    line = edit(path, m.group(0), m.group(0) + "  title: bản sao\n") + 2
    return "config/plans/duc-pho-26-kh-bcd.yaml", line


def _bad_phrase(cfg: Path) -> tuple[str, int]:
    path = cfg / "plans" / "duc-pho-kl1231.yaml"
    text = path.read_text(encoding="utf-8")
    m = re.search(r"timing: (\"?)Thường xuyên\1", text)
    assert m
    line = edit(path, m.group(0), "timing: khi nào rảnh")
    # the loader parses timing only when there is no explicit rule: check it reported
    return "config/plans/duc-pho-kl1231.yaml", line


@pytest.mark.parametrize("make_error, expected", [
    (_unknown_unit, "không tồn tại"),
    (_duplicate_code, "bị trùng"),
    (_own_ancestor, "cấp trên của chính nó"),
    (_malformed_date, "ngày không hợp lệ"),
    (_unknown_field, "không có trong mẫu"),
    (_yaml_syntax, "YAML"),
], ids=["unknown-unit", "duplicate-code", "own-ancestor", "malformed-date", "unknown-field",
        "yaml-syntax"])
def test_config_error_names_file_and_line_and_changes_nothing(
    engine: Engine, cfg: Path, make_error: Callable[[Path], tuple[str, int]], expected: str,
) -> None:
    config_service.load(CONFIG, engine=engine)
    before = table_counts(engine)
    file, line = make_error(cfg)
    with pytest.raises(ConfigErrors) as err:
        config_service.load(cfg, engine=engine)
    rendered = [p.render() for p in err.value.problems]
    assert any(r.startswith(f"{file}:{line}: ") and expected in r for r in rendered), rendered
    assert table_counts(engine) == before


def test_cli_reports_problems_in_vietnamese_without_traceback(sqlite_url: str, cfg: Path) -> None:
    file, line = _malformed_date(cfg)
    out = CliRunner().invoke(app, ["config", "load", str(cfg)])
    assert out.exit_code == 1
    assert f"{file}:{line}:" in out.output
    assert "Không có thay đổi nào được ghi" in out.output
    assert "Traceback" not in out.output


def test_cli_usage_error_exits_2(sqlite_url: str) -> None:
    out = CliRunner().invoke(app, ["deadlines", "list", "--nope"])
    assert out.exit_code == 2


def test_secret_in_channel_file_is_refused(cfg: Path) -> None:
    path = cfg / "channels.yaml"
    line = edit(path, "${DANVAN_SMTP_URL}", "mailtos://user:hunter2@smtp.example.vn")
    with pytest.raises(ConfigErrors) as err:
        config_service.check(cfg)
    rendered = [p.render() for p in err.value.problems]
    assert any(r.startswith(f"config/channels.yaml:{line}:") for r in rendered), rendered
    assert all("hunter2" not in r for r in rendered)
