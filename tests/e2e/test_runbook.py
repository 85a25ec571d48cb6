"""The administrators' runbook (docs/operations.md) is executed, block by block.

Every fenced block marked ```` ```sh runbook:<name> ```` is extracted in document order
and run with bash (`set -euo pipefail`), the exported variables and functions carried
from one block to the next as in the administrator's single shell. Only the values of
the *settings* block are replaced: paths in a temporary folder, fresh role and database
names on the test PostgreSQL server, `psql` as its superuser, a free port for the
Prefect server, an aiosmtpd server for the mail, a sweep date with reminders due.
Blocks marked ```` ```sh runbook-skip:<name> ```` (package manager, systemd, nginx,
`git checkout`) are not run; the document lists them.

After each block the test checks its outcome: roles and databases, the environment
file, the schema, the API behind its password, the deployments and the crashed-run
automation, two workers, the runs completed and the mail received, backups not empty,
a restore into fresh databases with the same row counts, and an upgrade rolled back to
the backup taken before it.
"""

from __future__ import annotations

import collections
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from danvan_workflow.engine import CRASH_AUTOMATION_NAME
from tests.conftest import ROOT, pg_admin_url, require_pg
from tests.fakes.smtp_server import FakeSMTPServer, free_port

pytestmark = pytest.mark.e2e

DOC = ROOT / "docs" / "operations.md"
ENV_EXAMPLE = ROOT / "deploy" / "danvan.env.example"
BLOCK_RE = re.compile(r"^```sh (runbook|runbook-skip):([a-z0-9-]+)[ \t]*\n(.*?)^```[ \t]*$",
                      re.M | re.S)
SWEEP_DATE = "2026-07-24"  # a working day with about 100 messages due (sample config)

RUN = ["settings", "helpers", "databases", "env-file", "schema-config", "server-start",
       "deploy", "workers-start", "first-runs", "backup", "restore-drill",
       "restore-drill-cleanup", "upgrade-record", "upgrade-stop", "upgrade-backup",
       "upgrade-migrate", "upgrade-start-server", "upgrade-deploy", "upgrade-start-workers",
       "rollback-stop", "rollback-restore", "rollback-start-server", "rollback-deploy",
       "rollback-start-workers"]
SKIP = ["make-run", "install", "pg-remote", "services", "backup-timer", "upgrade-stop-services",
        "upgrade-code", "upgrade-start-server-service", "upgrade-start-workers-services",
        "rollback-stop-services", "rollback-code", "rollback-start-server-service",
        "rollback-start-workers-services", "proxy", "remote-client"]


@dataclass
class Block:
    kind: str
    name: str
    body: str


def blocks() -> list[Block]:
    return [Block(k, n, b) for k, n, b in BLOCK_RE.findall(DOC.read_text(encoding="utf-8"))]


def _env_keys(text_: str) -> list[str]:
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", text_, re.M)


def test_runbook_blocks_are_marked_listed_and_consistent() -> None:
    """The blocks the test runs and skips, in order; the skipped ones are named in the
    document; the environment file of the runbook is the example's; the units read it."""
    found = blocks()
    assert [b.name for b in found if b.kind == "runbook"] == RUN
    assert [b.name for b in found if b.kind == "runbook-skip"] == SKIP
    doc = DOC.read_text(encoding="utf-8")
    listed = doc[doc.index("**Tested.**"):doc.index("### 1. Settings")]
    assert len(set(RUN + SKIP)) == len(RUN + SKIP)
    for name in SKIP:
        assert f"`{name}`" in listed, name
    env_block = next(b.body for b in found if b.name == "env-file")
    assert _env_keys(env_block) == _env_keys(ENV_EXAMPLE.read_text(encoding="utf-8"))
    for unit in ("danvan-server.service", "danvan-worker@.service", "danvan-http.service"):
        body = (ROOT / "deploy" / "systemd" / unit).read_text(encoding="utf-8")
        assert "EnvironmentFile=/etc/danvan/env" in body and "User=danvan" in body, unit
    worker = (ROOT / "deploy" / "systemd" / "danvan-worker@.service").read_text()
    assert "prefect worker start --pool ${DANVAN_POOL} --type process" in worker
    nginx = (ROOT / "deploy" / "nginx" / "danvan.conf").read_text()
    assert "proxy_pass http://127.0.0.1:4200;" in nginx and "location /zalo/" in nginx
    # no shell block an administrator runs is left unmarked (the Zalo section aside)
    opening, inside = [], False
    for line in doc[:doc.index("## Zalo")].splitlines():
        if line.startswith("```"):
            if not inside:
                opening.append(line[3:].strip())
            inside = not inside
    assert not inside
    unmarked = [info for info in opening
                if info.split(" ")[0] in ("", "sh", "bash", "shell", "console")
                and not re.fullmatch(r"sh runbook(-skip)?:[a-z0-9-]+", info)]
    assert not unmarked, unmarked


def settings_block(body: str, values: dict[str, str]) -> str:
    """The settings block with the test's values (every one must be in the block)."""
    out, seen = [], set()
    for line in body.splitlines():
        m = re.match(r"export ([A-Z_]+)=", line)
        if m and m.group(1) in values:
            seen.add(m.group(1))
            line = f"export {m.group(1)}={shlex.quote(values[m.group(1)])}"
        out.append(line)
    assert seen == set(values), f"not in the settings block: {set(values) - seen}"
    return "\n".join(out) + "\n"


def read_env_file(path: Path) -> dict[str, str]:
    return {k: v for k, v in re.findall(r"^([A-Z_0-9]+)='([^']*)'$", path.read_text(), re.M)}


def row_counts(url: str) -> dict[str, int]:
    eng = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with eng.connect() as conn:
            tables = conn.execute(text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).scalars().all()
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                    for t in sorted(tables)}
    finally:
        eng.dispose()


def with_db(url: str, name: str) -> str:
    return str(make_url(url).set(database=name).render_as_string(hide_password=False))


@dataclass
class Shell:
    """One administrator's shell: exported variables and functions carried over."""

    workdir: Path
    env: dict[str, str]
    log: Path
    state: Path = field(init=False)
    durations: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = self.workdir / "state.sh"
        self.state.write_text("")

    def run(self, name: str, body: str, timeout: float = 420) -> str:
        script = self.workdir / f"{name}.sh"
        new_state = self.workdir / "state.new"
        script.write_text(
            "set -euo pipefail\n"
            f"source {shlex.quote(str(self.state))}\n"
            f"cd {shlex.quote(str(self.workdir))}\n"
            f"{body}\n"
            f"{{ export -p; declare -f; }} > {shlex.quote(str(new_state))}\n")
        start = time.monotonic()
        proc = subprocess.run(["bash", str(script)], cwd=self.workdir, env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
        self.durations[name] = time.monotonic() - start
        output = proc.stdout + proc.stderr
        with self.log.open("a") as fh:
            fh.write(f"\n===== {name} (exit {proc.returncode}) =====\n{output}")
        assert proc.returncode == 0, f"block {name} exited {proc.returncode}:\n{output[-4000:]}"
        new_state.replace(self.state)
        return output


def _kill_started(run_dir: Path) -> None:
    """Stop what the blocks started and left running (pid files of dv_start)."""
    for pid_file in run_dir.glob("*.pid"):
        try:
            pgid = int(pid_file.read_text().strip())
        except ValueError:
            continue
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            else:
                continue
            break


def _admin_exec(admin_url: str, statements: list[str]) -> None:
    eng = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"),
                        isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        eng.dispose()


def test_runbook_runs_end_to_end(tmp_path: Path) -> None:
    require_pg()
    missing = [t for t in ("bash", "psql", "pg_dump", "pg_restore", "curl", "openssl", "setsid")
               if shutil.which(t) is None]
    if missing:
        if os.environ.get("DANVAN_REQUIRE_PG"):
            pytest.fail(f"missing tools for the runbook: {missing}")
        pytest.skip(f"missing tools for the runbook: {missing}")
    admin = pg_admin_url()
    assert admin
    admin_url = make_url(admin)
    postgres_url = with_db(admin, "postgres")
    tag = uuid.uuid4().hex[:8]
    names = {"DB_NAME": f"rb_{tag}_danvan", "DB_USER": f"rb_{tag}_danvan",
             "PREFECT_DB_NAME": f"rb_{tag}_prefect", "PREFECT_DB_USER": f"rb_{tag}_prefect"}
    home = tmp_path / "home"
    etc = tmp_path / "etc"
    user = pwd.getpwuid(os.geteuid()).pw_name
    shell_dir = tmp_path / "shell"
    shell_dir.mkdir()

    doc_blocks = {b.name: b for b in blocks()}
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("PREFECT_", "DANVAN_", "PG"))
                and k not in ("SHELLOPTS", "BASHOPTS", "VIRTUAL_ENV")}
    # polling every second instead of 10: the same workers, sooner
    base_env.update(PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1")
    shell = Shell(shell_dir, base_env, tmp_path / "runbook.log")
    executed: list[str] = []

    with FakeSMTPServer() as smtp:
        values = {
            "DANVAN_ETC": str(etc), "DANVAN_DIR": str(ROOT), "DANVAN_HOME": str(home),
            "DANVAN_USER": user,
            "PG_ADMIN": f"psql -X -v ON_ERROR_STOP=1 {postgres_url}",
            "DB_HOST": admin_url.host or "127.0.0.1", "DB_PORT": str(admin_url.port or 5432),
            "PREFECT_PORT": str(free_port()), "SMTP_URL": smtp.url(),
            "SWEEP_DATE": SWEEP_DATE, **names,
        }
        if os.geteuid() != 0:  # runuser needs root; the test then runs as this user
            values["AS_DANVAN"] = "env"
        env: dict[str, str] = {}
        seen_runs: list[str] = []
        before_upgrade: dict[str, int] = {}

        def api() -> httpx.Client:
            user_, _, password = env["PREFECT_API_AUTH_STRING"].partition(":")
            return httpx.Client(base_url=env["PREFECT_API_URL"], auth=(user_, password),
                                timeout=15)

        def after_databases() -> None:
            eng = create_engine(make_url(postgres_url).set(drivername="postgresql+psycopg"))
            with eng.connect() as conn:
                roles = conn.execute(text(
                    "SELECT rolname, rolsuper FROM pg_roles WHERE rolname LIKE :p"),
                    {"p": f"rb_{tag}_%"}).tuples().all()
                dbs = dict(conn.execute(text(
                    "SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
                    "WHERE datname LIKE :p"), {"p": f"rb_{tag}_%"}).tuples().all())
            eng.dispose()
            assert sorted(roles) == [(names["DB_USER"], False),
                                     (names["PREFECT_DB_USER"], False)]
            assert dbs == {names["DB_NAME"]: names["DB_USER"],
                           names["PREFECT_DB_NAME"]: names["PREFECT_DB_USER"]}

        def after_env_file() -> None:
            path = etc / "env"
            assert stat.S_IMODE(path.stat().st_mode) == 0o640
            env.update(read_env_file(path))
            assert env["DANVAN_DATABASE_URL"].startswith("postgresql://")
            assert env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
            assert env["PREFECT_API_AUTH_STRING"] == env["PREFECT_SERVER_API_AUTH_STRING"]
            for sub in ("backups", "prefect", "log", "run"):
                assert (home / sub).is_dir()

        def after_schema_config() -> None:
            counts = row_counts(env["DANVAN_DATABASE_URL"])
            assert counts["alembic_version"] == 1
            assert counts["units"] > 0 and counts["contacts"] > 0 and counts["plans"] > 0

        def after_server_start() -> None:
            with api() as c:
                assert c.get("/health").status_code == 200
            # the API refuses a client without the password
            r = httpx.post(f"{env['PREFECT_API_URL']}/deployments/filter", json={}, timeout=10)
            assert r.status_code == 401, r.status_code

        def after_deploy() -> None:
            from flows.deployments import specs

            with api() as c:
                deps = c.post("/deployments/filter", json={}).json()
                autos = c.post("/automations/filter", json={}).json()
            assert len(deps) == len(specs())
            assert {d["work_pool_name"] for d in deps} == {env["DANVAN_POOL"]}
            assert all(d["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
                       for d in deps)
            assert [a["name"] for a in autos].count(CRASH_AUTOMATION_NAME) == 1

        def after_first_runs() -> None:
            with api() as c:
                runs = c.post("/flow_runs/filter", json={
                    "flow_runs": {"deployment_id": {"is_null_": False}}}).json()
            done = [r for r in runs if r["state_type"] == "COMPLETED"]
            assert {r["parameters"].get("run_date") for r in done} >= {SWEEP_DATE}
            assert len(done) >= 2, [(r["name"], r["state_type"]) for r in runs]
            seen_runs.extend(r["id"] for r in done)
            counts = row_counts(env["DANVAN_DATABASE_URL"])
            assert counts["outbox_messages"] > 0
            eng = create_engine(make_url(env["DANVAN_DATABASE_URL"]).set(
                drivername="postgresql+psycopg"))
            with eng.connect() as conn:
                sent_email = conn.execute(text(
                    "SELECT count(*) FROM outbox_messages WHERE status = 'sent' "
                    "AND channel_code = 'email'")).scalar_one()
                waiting = conn.execute(text(
                    "SELECT count(*) FROM outbox_messages WHERE status IN "
                    "('pending', 'sending', 'retry')")).scalar_one()
            eng.dispose()
            ids = collections.Counter(str(x.message["Message-ID"]) for x in smtp.messages)
            assert sent_email > 0 and len(ids) == sent_email and max(ids.values()) == 1
            assert waiting == 0

        def after_backup() -> None:
            dumps = sorted((home / "backups").glob("*.dump"))
            assert {p.name.split("-")[0] for p in dumps} == {"danvan", "prefect"}
            assert all(p.stat().st_size > 0 for p in dumps)
            assert not list((home / "backups").glob("*.partial"))

        def after_restore_drill() -> None:
            live = row_counts(env["DANVAN_DATABASE_URL"])
            drill = row_counts(with_db(env["DANVAN_DATABASE_URL"], names["DB_NAME"] + "_drill"))
            assert live == drill
            assert sum(live.values()) > 0
            p_live = row_counts(env["PREFECT_API_DATABASE_CONNECTION_URL"])
            p_drill = row_counts(with_db(env["PREFECT_API_DATABASE_CONNECTION_URL"],
                                         names["PREFECT_DB_NAME"] + "_drill"))
            for table in ("deployment", "work_pool", "flow", "automation"):
                assert p_live[table] == p_drill[table] > 0, table

        def after_upgrade_backup() -> None:
            before_upgrade.update(row_counts(env["DANVAN_DATABASE_URL"]))
            backup_dir = Path((home / "backup-before-upgrade").read_text().strip())
            assert sorted(p.name.split("-")[0] for p in backup_dir.glob("*.dump")) == [
                "danvan", "prefect"]
            assert (home / "version-before-upgrade").read_text().strip()

        def after_upgrade_migrate() -> None:
            # a change made by the new version, which the rollback must undo
            eng = create_engine(make_url(env["DANVAN_DATABASE_URL"]).set(
                drivername="postgresql+psycopg"))
            with eng.begin() as conn:
                conn.execute(text("INSERT INTO audit_log (at, actor, action, entity) "
                                  "VALUES (now(), 'kiem-thu', 'nang-cap', 'runbook')"))
            eng.dispose()
            assert row_counts(env["DANVAN_DATABASE_URL"]) != before_upgrade

        def after_rollback_restore() -> None:
            assert row_counts(env["DANVAN_DATABASE_URL"]) == before_upgrade

        def after_rollback_start_workers() -> None:
            with api() as c:
                deps = c.post("/deployments/filter", json={}).json()
                runs = c.post("/flow_runs/filter", json={"flow_runs": {
                    "id": {"any_": seen_runs}}}).json()
            assert deps and len(runs) == len(seen_runs)  # the restored history
            deadline = time.monotonic() + 60
            while True:
                with api() as c:
                    workers = c.post(f"/work_pools/{env['DANVAN_POOL']}/workers/filter",
                                     json={}).json()
                online = [w for w in workers if w["status"] == "ONLINE"]
                if len(online) >= 2:
                    break
                assert time.monotonic() < deadline, workers
                time.sleep(0.5)

        checks: dict[str, Callable[[], None]] = {
            "databases": after_databases, "env-file": after_env_file,
            "schema-config": after_schema_config, "server-start": after_server_start,
            "deploy": after_deploy, "first-runs": after_first_runs, "backup": after_backup,
            "restore-drill": after_restore_drill, "upgrade-backup": after_upgrade_backup,
            "upgrade-migrate": after_upgrade_migrate,
            "rollback-restore": after_rollback_restore,
            "rollback-start-workers": after_rollback_start_workers,
        }
        try:
            for name in RUN:
                body = doc_blocks[name].body
                if name == "settings":
                    body = settings_block(body, values)
                shell.run(name, body)
                executed.append(name)
                if name in checks:
                    checks[name]()
            submitted = {
                p.stem: len(re.findall(r"submitting flow run", p.read_text(errors="replace")))
                for p in sorted((home / "log").glob("worker-*.log"))}
            print("\nrunbook blocks (seconds):", {k: round(v, 1)
                                                  for k, v in shell.durations.items()})
            print("flow runs submitted per worker log:", submitted)
            assert sum(submitted.values()) >= 2
        finally:
            _kill_started(home / "run")
            _admin_exec(postgres_url, [
                f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'
                for db in (names["DB_NAME"], names["PREFECT_DB_NAME"],
                           names["DB_NAME"] + "_drill", names["PREFECT_DB_NAME"] + "_drill")
            ] + [f'DROP ROLE IF EXISTS "{r}"' for r in (names["DB_USER"],
                                                       names["PREFECT_DB_USER"])])
    assert executed == RUN
