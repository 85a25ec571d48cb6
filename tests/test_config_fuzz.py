"""Hostile and broken configuration files: one clean Vietnamese message each, nothing written.

Every case breaks a copy of the shipped config/ folder and runs `danvan config load`:
the command must exit 1 with the expected message on the expected `file:line`, print no
traceback and no knock-on errors, leave every table's row count as it was, and finish
quickly (pytest-timeout: a billion-laughs file or a 6 MB file must not hang or eat
memory).

Empty files are refused ("tệp rỗng") rather than read as empty lists: every
configuration file has content, and an emptied reminders.yaml would silently drop the
operators and the ladder overrides (see configuration/yamlio.py).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.db.migrate import upgrade
from danvan_workflow.db.models import Base
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.settings import reset_settings
from tests.conftest import CONFIG

Mutate = Callable[[Path], tuple[str, int | None]]  # -> (file as shown, line or None)


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with the shipped configuration loaded (copied by each test)."""
    path = tmp_path_factory.mktemp("fuzz") / "loaded.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    config_service.load(CONFIG, engine=engine_for(url))
    engine_for(url).dispose()
    engine_for.cache_clear()
    return path


@pytest.fixture
def db(loaded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    path = tmp_path / "db.sqlite"
    shutil.copy(loaded_db, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    reset_settings()
    yield engine_for(url)
    engine_for(url).dispose()
    engine_for.cache_clear()


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(CONFIG, dst)
    return dst


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


def line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert needle in text, f"{needle!r} not in {path}"
    return text[: text.index(needle)].count("\n") + 1


def replace(path: Path, old: str, new: str) -> int:
    line = line_of(path, old)
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return line


def first(pattern: str, path: Path) -> str:
    found = re.search(pattern, path.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, pattern
    return found.group(0)


# --- the cases ---------------------------------------------------------------------------

UNITS = "units/duc-pho.yaml"


def python_tag(cfg: Path) -> tuple[str, int | None]:
    path = cfg / UNITS
    name = first(r"^    name: .*$", path)
    return f"config/{UNITS}", replace(path, name,
                                      "    name: !!python/object/apply:os.system ['echo x']")


def custom_tag(cfg: Path) -> tuple[str, int | None]:
    path = cfg / UNITS
    name = first(r"^    name: .*$", path)
    return f"config/{UNITS}", replace(path, name, "    name: !env TEN_DON_VI")


def write(rel: str, content: str | bytes, line: int | None = 1) -> Mutate:
    def mutate(cfg: Path) -> tuple[str, int | None]:
        path = cfg / rel
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return f"config/{rel}", line
    return mutate


def unclosed_quote(cfg: Path) -> tuple[str, int | None]:
    path = cfg / UNITS
    name = first(r'^    name: "[^"\n]+"$', path)
    return f"config/{UNITS}", replace(path, name, name[:-1])


def tab_indent(cfg: Path) -> tuple[str, int | None]:
    path = cfg / UNITS
    kind = first(r"^    kind: .*$", path)
    return f"config/{UNITS}", replace(path, kind, "\t" + kind.strip())


def misspelt_key(cfg: Path) -> tuple[str, int | None]:
    path = cfg / UNITS
    kind = first(r"^    kind: .*$", path)
    return f"config/{UNITS}", replace(path, kind, kind.replace("kind:", "kindd:"))


def unknown_override(cfg: Path) -> tuple[str, int | None]:
    path = cfg / "reminders.yaml"
    line = replace(path, "overrides: []", "overrides:\n  - {plan: 99-KH/KHONG, ladder: [-3]}")
    return "config/reminders.yaml", line + 1


def deep(cfg: Path) -> tuple[str, int | None]:
    path = cfg / "reminders.yaml"
    line = replace(path, "digest: true", "digest: true\nextra: " + "[" * 200 + "]" * 200)
    return "config/reminders.yaml", line + 1


def billion_laughs(cfg: Path) -> tuple[str, int | None]:
    lines = ['a: &a ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    (cfg / "reminders.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "config/reminders.yaml", None  # wherever the expansion crosses the limit


def huge(cfg: Path) -> tuple[str, int | None]:
    (cfg / "units" / "zz-huge.yaml").write_text("# " + "x" * 100 + "\n" * 1 + (
        "# đệm\n" * 1_100_000), encoding="utf-8")
    return "config/units/zz-huge.yaml", 1


def latin1(cfg: Path) -> tuple[str, int | None]:
    path = cfg / UNITS
    data = path.read_bytes()
    name = first(r"^    name: .*$", path)
    line = line_of(path, name)
    path.write_bytes(data.replace(name.encode("utf-8"), b"    name: Ph\xf4 \xe9", 1))  # Latin-1
    return f"config/{UNITS}", line


def empty_folder(cfg: Path) -> tuple[str, int | None]:
    shutil.rmtree(cfg)
    cfg.mkdir()
    return "config", None


CASES: list[tuple[str, Mutate, str, int]] = [
    # id, mutation, expected words, most problems listed
    ("python-tag", python_tag, "thẻ YAML '!!python/object/apply:os.system' không được phép",
     1),
    ("custom-tag", custom_tag, "thẻ YAML '!env' không được phép", 1),
    ("empty-file", write(UNITS, ""), "tệp rỗng", 1),
    ("comments-only", write(UNITS, "# chỉ có chú thích\n\n# hết\n"), "tệp rỗng", 1),
    ("bom-only", write(UNITS, b"\xef\xbb\xbf"), "tệp rỗng", 1),
    ("empty-reminders", write("reminders.yaml", ""), "tệp rỗng", 1),
    ("only-dashes", write("channels.yaml", "---\n...\n"), "tệp rỗng", 1),
    ("top-level-list", write("reminders.yaml", "- ladder: [1]\n"), "cần một mục", 1),
    ("two-documents", write("reminders.yaml", "digest: true\n---\ndigest: false\n", 2),
     "một tài liệu YAML", 1),
    ("nul-byte", write("reminders.yaml", "digest: true\nsend_time: \x00\n", 2),
     "ký tự điều khiển", 1),
    ("not-utf8", latin1, "không phải UTF-8", 1),
    ("unclosed-quote", unclosed_quote, "dấu nháy mở ở dòng này chưa được đóng", 1),
    ("tab-indent", tab_indent, "không dùng ký tự tab", 1),
    ("misspelt-key", misspelt_key, "có phải 'kind'?", 1),
    ("unknown-override-plan", unknown_override, "kế hoạch '99-KH/KHONG' không có", 1),
    ("deep-nesting", deep, "lồng nhau quá sâu", 1),
    ("billion-laughs", billion_laughs, "tham chiếu '*' lặp lại quá nhiều", 1),
    ("huge-file", huge, "tệp quá lớn", 1),
    ("empty-folder", empty_folder, "thư mục cấu hình trống", 1),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mutate, expected, most", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_broken_config_is_refused_cleanly(db: Engine, cfg: Path, mutate: Mutate,
                                          expected: str, most: int) -> None:
    before = counts(db)
    file, line = mutate(cfg)
    out = CliRunner().invoke(app, ["config", "load", str(cfg)])
    text = out.output
    assert out.exit_code == 1, text
    assert "Traceback" not in text, text
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    where = f"{file}:{line}: " if line is not None else f"{file}:"
    hits = [ln for ln in text.splitlines() if where in ln and expected in ln]
    assert hits, text
    problems = [ln for ln in text.splitlines() if re.match(r"^\s+config[/:]", ln)]
    assert len(problems) <= most, text  # no knock-on errors
    assert counts(db) == before


def test_same_files_from_another_folder_change_nothing(db: Engine, tmp_path: Path) -> None:
    """source_file is relative to the configuration folder; rows written when it named
    the folder ("config/plans/x.yaml") compare equal too."""
    other = tmp_path / "cau-hinh-ban-sao"
    shutil.copytree(CONFIG, other)
    writes: list[str] = []

    def spy(conn, cursor, statement: str, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(db, "before_cursor_execute", spy)
    try:
        res = config_service.load(other, engine=db)
    finally:
        event.remove(db, "before_cursor_execute", spy)
    assert not res.report.any, res.report.as_dict()
    assert writes == []
    # a changed unit is stored with its path relative to the folder
    path = other / UNITS
    replace(path, first(r"^    name: .*$", path), "    name: Tên mới")
    config_service.load(other, engine=db)
    with db.connect() as conn:
        sources = {r[0] for r in conn.execute(select(Base.metadata.tables["units"].c.source_file))}
    assert UNITS in sources
    assert not any(s and s.startswith("cau-hinh-ban-sao/") for s in sources)
