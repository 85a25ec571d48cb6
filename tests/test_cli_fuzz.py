"""Every `danvan` command against careless and hostile input: a never-upgraded data folder,
empty, huge, negative, out-of-range and malformed values.

Each run must end with a Vietnamese message and exit 1 (refused) or 2 (usage), never a
traceback, and leave the database byte for byte as it was. The table below is the whole
command tree (`test_table_covers_every_command` keeps it so).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.db.migrate import upgrade
from danvan_workflow.services import config as config_service
from danvan_workflow.settings import reset_settings
from tests.conftest import CONFIG

HUGE = "x" * 100_000
LONG = "Đ" * 5_000

# bad values by the kind of a parameter
BAD: dict[str, list[str]] = {
    "id": ["abc", "-1", "0", "99999999999999999999", "1.5", ""],
    "year": ["abc", "-2026", "0", "99999", "1800", ""],
    "count": ["abc", "-5", "0", "99999999999999999999", ""],
    "date": ["", "32/13/2026", "30/02/2026", "0001-01-01", "9999-12-31", "01/01/2062",
             "ngày mai"],
    "code": ["", "KHONG.TON.TAI", LONG, HUGE],
    "text": ["", "   ", HUGE],
    "enum": ["", "khong_co", LONG],
    "decimal": ["abc", "-5", "1e309", "NaN", "99999999999999999999", ""],
    "out": ["/nonexistent/thu-muc/ket-qua.json", "/proc/version/ket-qua.json"],
    "in": ["/nonexistent/tep.yaml", "{latin1}", "{folder}", "{empty}"],
}


@dataclass(frozen=True)
class Cmd:
    words: tuple[str, ...]
    base: tuple[str, ...]  # a well-formed invocation (positional arguments first)
    kinds: dict[str, str]  # option (or "#n" for the n-th positional) -> kind of value


DEADLINE = "{deadline}"
TABLE = [
    Cmd(("backup",), ("--dir", "{tmp}/sao-luu"), {"--dir": "out"}),
    Cmd(("calendar", "check"), (), {}),
    Cmd(("claims", "confirm"), ("1", "--deadline", DEADLINE, "--received-on", "01/12/2026"),
        {"#0": "id", "--deadline": "id", "--received-on": "date", "--document-number": "text"}),
    Cmd(("claims", "list"), (), {}),
    Cmd(("claims", "reject"), ("1",), {"#0": "id"}),
    Cmd(("config", "check"), (), {"#0": "in"}),
    Cmd(("config", "load"), (), {"#0": "in"}),
    Cmd(("contacts", "link-code"), ("TN.BDV.dauMoi",), {"#0": "code", "--hours": "count"}),
    Cmd(("deadlines", "close-year"), ("2023", "--reason", "Kết thúc năm"),
        {"#0": "year", "--reason": "text", "--actor": "text"}),
    Cmd(("deadlines", "feed"), ("--unit", "DP.BDV"), {"--unit": "code", "--output": "out"}),
    Cmd(("deadlines", "list"), (), {"--from": "date", "--to": "date", "--unit": "code",
                                    "--plan": "code", "--status": "enum", "--format": "enum",
                                    "--output": "out"}),
    Cmd(("inspections", "create"),
        ("--plan", "26-KH/BCĐ", "--kind", "mid_year", "--year", "2026", "--title", "Kiểm tra",
         "--teams", "{teams}"),
        {"--plan": "code", "--kind": "enum", "--year": "year", "--title": "text",
         "--teams": "in", "--due": "date", "--code": "code"}),
    Cmd(("inspections", "record"), ("mid_year-2026", "--unit", "DP.BDV", "--result", "dat"),
        {"#0": "code", "--unit": "code", "--result": "enum", "--model": "id",
         "--findings": "text", "--on": "date"}),
    Cmd(("inspections", "status"), ("mid_year-2026",), {"#0": "code"}),
    Cmd(("models", "approve"), ("1", "--notice", "Thông báo số 1"),
        {"#0": "id", "--notice": "text"}),
    Cmd(("models", "list"), (), {"--unit": "code", "--state": "enum", "--year": "year"}),
    Cmd(("models", "quota"), ("--plan", "26-KH/BCĐ"), {"--plan": "code", "--year": "year"}),
    Cmd(("models", "register"),
        ("--unit", "DP.BDV", "--name", "Mô hình", "--address", "Phổ Ninh", "--field", "kinh_te",
         "--start", "01/03/2026", "--end", "30/11/2026", "--content", "Nội dung",
         "--owner", "Nguyễn Văn A", "--plan", "26-KH/BCĐ"),
        {"--unit": "code", "--name": "text", "--address": "text", "--field": "enum",
         "--start": "date", "--end": "date", "--content": "text", "--owner": "text",
         "--batch": "enum", "--plan": "code"}),
    Cmd(("models", "reject"), ("1", "--reason", "Không phù hợp"),
        {"#0": "id", "--reason": "text"}),
    Cmd(("models", "transition"), ("1", "start"),
        {"#0": "id", "#1": "enum", "--notice": "text", "--reason": "text", "--level": "text",
         "--on": "date", "--note": "text"}),
    Cmd(("notify", "test"), ("TN.BDV.dauMoi",), {"#0": "code", "--channel": "enum"}),
    Cmd(("outbox", "dead"), (), {}),
    Cmd(("outbox", "dispatch"), (), {"--batch": "count"}),
    Cmd(("outbox", "list"), (), {"--status": "enum", "--limit": "count"}),
    Cmd(("outbox", "retry"), (), {"#0": "id"}),
    Cmd(("outbox", "show"), ("1",), {"#0": "id"}),
    Cmd(("plans", "delete"), ("26-KH/BCĐ",), {"#0": "code", "--xac-nhan": "code"}),
    Cmd(("plans", "list"), (), {}),
    Cmd(("plans", "roll"), ("26-KH/BCĐ", "--year", "2027", "--config", "{tmp}/khong-co"),
        {"#0": "code", "--year": "year", "--config": "in"}),
    Cmd(("reports", "extend"), (DEADLINE, "--to", "30/12/2026", "--reason", "Bận"),
        {"#0": "id", "--to": "date", "--reason": "text"}),
    Cmd(("reports", "request"),
        ("--plan", "26-KH/BCĐ", "--unit", "DP.BDV", "--due", "15/12/2026", "--title", "Báo cáo"),
        {"--plan": "code", "--unit": "code", "--due": "date", "--title": "text",
         "--obligation": "code"}),
    Cmd(("reports", "submit"), ("--deadline", DEADLINE, "--received", "01/12/2026"),
        {"--received": "date", "--deadline": "id", "--plan": "code", "--obligation": "code",
         "--unit": "code", "--period": "code", "--number": "text", "--attachment": "in"}),
    Cmd(("reports", "word"), ("--plan", "26-KH/BCĐ", "--output", "{tmp}/bao-cao.docx"),
        {"--kind": "enum", "--plan": "code", "--period": "code", "--round": "code",
         "--year": "year", "--scorer": "code", "--issuer": "code", "--on": "date",
         "--output": "out"}),
    Cmd(("reports", "excel"), ("--plan", "19-KH/BCĐ", "--year", "2026", "--output",
                                "{tmp}/so.xlsx"),
        {"--plan": "code", "--year": "year", "--output": "out"}),
    Cmd(("reports", "revoke"), (DEADLINE, "--reason", "Miễn nhầm"),
        {"#0": "id", "--reason": "text"}),
    Cmd(("reports", "withdraw"), (DEADLINE, "--reason", "Ghi nhầm"),
        {"#0": "id", "--reason": "text"}),
    Cmd(("reports", "waive"), (DEADLINE, "--reason", "Sáp nhập"),
        {"#0": "id", "--reason": "text"}),
    Cmd(("restore",), ("{tmp}/khong-co.dump",), {"#0": "in"}),
    Cmd(("rules", "explain"), ("trước ngày 20/11 hằng năm",), {"#0": "text", "--count": "count"}),
    Cmd(("scores", "aggregate"), ("--plan", "19-KH/BCĐ", "--year", "2026", "--scorer", "TN.BDV"),
        {"--plan": "code", "--year": "year", "--scorer": "code"}),
    Cmd(("scores", "rank"), ("--plan", "19-KH/BCĐ", "--year", "2026"),
        {"--plan": "code", "--year": "year"}),
    Cmd(("scores", "record"),
        ("--plan", "19-KH/BCĐ", "--unit", "TN.DUK", "--year", "2026", "--criterion", "C1",
         "--points", "5"),
        {"--plan": "code", "--unit": "code", "--year": "year", "--criterion": "code",
         "--points": "decimal", "--bonus": "decimal"}),
    Cmd(("status",), ("--unit", "DP.BDV"), {"--unit": "code", "--plan": "code", "--on": "date"}),
    Cmd(("sweep",), ("--no-send",), {"--date": "date"}),
    Cmd(("targets", "record"), ("--unit", "DP.BDV", "--fact", "x", "--year", "2026"),
        {"--unit": "code", "--fact": "code", "--year": "year"}),
    Cmd(("targets", "status"), ("--plan", "26-KH/BCĐ", "--year", "2026"),
        {"--plan": "code", "--year": "year"}),
    Cmd(("units", "delete"), ("DP.BDV",), {"#0": "code", "--xac-nhan": "code"}),
    Cmd(("units", "import"), ("{tmp}/khong-co.xlsx", "--config", "{tmp}/khong-co"),
        {"#0": "in", "--config": "in"}),
    Cmd(("units", "list"), (), {}),
    Cmd(("units", "template"), ("--output", "{tmp}/mau.xlsx"), {"--output": "out"}),
    Cmd(("year", "check"), ("2027",), {"#0": "year"}),
    Cmd(("zalo", "token", "status"), (), {}),
]
# not run here: they start or need servers (covered by tests/e2e), or create the schema
SERVERS = {("up",), ("http", "serve"), ("deploy",), ("db", "upgrade"), ("zalo", "token", "reset")}


def leaf_commands() -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()

    def walk(cmd: object, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*path, name))
        else:
            out.add(path)

    walk(typer.main.get_command(app), ())
    return out


def test_table_covers_every_command() -> None:
    assert leaf_commands() == {c.words for c in TABLE} | SERVERS


def fingerprint(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


@dataclass
class World:
    db: Path
    tmp: Path
    values: dict[str, str]

    def fill(self, args: tuple[str, ...] | list[str]) -> list[str]:
        return [a.format(**self.values) if "{" in a and len(a) < 200 else a for a in args]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("fuzz")
    db = tmp / "danvan.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DANVAN_DATABASE_URL", f"sqlite:///{db}")
        mp.setenv("DANVAN_HOME", str(tmp))
        mp.setenv("DANVAN_CONFIG_DIR", str(CONFIG))
        reset_settings()
        upgrade(f"sqlite:///{db}")
        config_service.load(CONFIG)
        con = sqlite3.connect(db)
        deadline = con.execute("SELECT min(id) FROM deadlines WHERE status = 'open'").fetchone()[0]
        con.close()
        (tmp / "latin1.yaml").write_bytes("tên: Phố Bình Dương\n".encode("latin-1", "replace")
                                           + b"\xe9\xe8\n")
        (tmp / "empty.yaml").write_text("", encoding="utf-8")
        (tmp / "folder").mkdir()
        teams = tmp / "teams.yaml"
        teams.write_text("- name: Đoàn 1\n  units: [DP.BDV]\n", encoding="utf-8")
        yield World(db, tmp, {"tmp": str(tmp), "deadline": str(deadline), "teams": str(teams),
                              "latin1": str(tmp / "latin1.yaml"), "folder": str(tmp / "folder"),
                              "empty": str(tmp / "empty.yaml")})
    reset_settings()


def mutations() -> Iterator[tuple[str, Cmd, str, str]]:
    for cmd in TABLE:
        for param, kind in cmd.kinds.items():
            for bad in BAD[kind]:
                shown = bad if len(bad) < 40 else f"{bad[:3]}…({len(bad)})"
                yield f"{' '.join(cmd.words)} {param}={shown!r}", cmd, param, bad


def mutate(cmd: Cmd, param: str, bad: str) -> list[str]:
    args = list(cmd.base)
    if param.startswith("#"):
        n = int(param[1:])
        positional = [i for i, a in enumerate(args) if not a.startswith("-")
                      and (i == 0 or not args[i - 1].startswith("--"))]
        if n < len(positional):
            args[positional[n]] = bad
        else:
            args.insert(len(positional), bad)
    elif param in args:
        args[args.index(param) + 1] = bad
    else:
        args += [param, bad]
    return args


def run(world: World, words: tuple[str, ...], args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(app, [*words, *world.fill(args)], env={"COLUMNS": "200"})
    out = res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), \
        f"{type(res.exception).__name__}: {res.exception}"
    assert "Traceback" not in out, out[-2000:]
    return res.exit_code, out


CASES = list(mutations())


@pytest.mark.parametrize(("case", "cmd", "param", "bad"), CASES, ids=[c[0] for c in CASES])
def test_bad_value_is_refused_and_changes_nothing(world: World, case: str, cmd: Cmd,
                                                  param: str, bad: str) -> None:
    before = fingerprint(world.db)
    code, out = run(world, cmd.words, mutate(cmd, param, world.fill([bad])[0]))
    assert code in (1, 2), f"{case}: exit {code}\n{out[-1500:]}"
    assert "Lỗi" in out, out[-1500:]
    assert fingerprint(world.db) == before, f"{case} changed the database"


@pytest.mark.parametrize("cmd", TABLE, ids=[" ".join(c.words) for c in TABLE])
def test_never_upgraded_folder_is_told_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  cmd: Cmd) -> None:
    db = tmp_path / "danvan.db"
    monkeypatch.setenv("DANVAN_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("DANVAN_HOME", str(tmp_path))
    monkeypatch.setenv("DANVAN_CONFIG_DIR", str(CONFIG))
    reset_settings()
    world = World(db, tmp_path, {"tmp": str(tmp_path), "deadline": "1",
                                 "teams": str(tmp_path / "teams.yaml"), "latin1": "",
                                 "folder": "", "empty": ""})
    code, out = run(world, cmd.words, list(cmd.base))
    if cmd.words in {("rules", "explain"), ("calendar", "check"), ("config", "check"),
                     ("backup",), ("units", "template")}:
        assert code in (0, 1), out  # they need no upgraded database (or say so)
        return
    assert code in (1, 2), out[-1500:]
    assert "Lỗi" in out, out[-1500:]
    if code == 1 and "db upgrade" not in out:
        # refused before reaching the database: the message names what is wrong
        assert len(out.strip()) > 10
    reset_settings()


BAD_SETTINGS = [
    ({"DANVAN_ENGINE__LEASE_SECONDS": "abc"}, "DANVAN_ENGINE__LEASE_SECONDS"),
    ({"DANVAN_ENGINE__LEASE_SECONDS": "1"}, "DANVAN_ENGINE__LEASE_SECONDS"),
    ({"DANVAN_ENGINE__DISPATCH_BATCH": "-5"}, "DANVAN_ENGINE__DISPATCH_BATCH"),
    ({"DANVAN_DATABASE_URL": "foo://x"}, "DANVAN_DATABASE_URL"),
    ({"DANVAN_DATABASE_URL": "postgresql://u:matkhau-bi-mat@127.0.0.1:1/x"},
     "DANVAN_DATABASE_URL"),
    ({"DANVAN_HOME": "/etc/hostname"}, "DANVAN_HOME"),
]


@pytest.mark.parametrize(("env", "var"), BAD_SETTINGS, ids=[v for _, v in BAD_SETTINGS])
def test_bad_setting_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        env: dict[str, str], var: str) -> None:
    monkeypatch.setenv("DANVAN_HOME", str(tmp_path))
    monkeypatch.setenv("DANVAN_DATABASE_URL", f"sqlite:///{tmp_path / 'danvan.db'}")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    reset_settings()
    res = CliRunner().invoke(app, ["units", "list"], env={"COLUMNS": "200"})
    reset_settings()
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert var in res.output and "Lỗi" in res.output
    assert "matkhau-bi-mat" not in res.output
