"""Crashed runs: a flow run whose machine dies during a dispatch (worker and flow process
SIGKILLed, so nobody reports the crash) is marked Crashed by the heartbeat automation
that `danvan deploy` creates, within a bounded time; the next dispatch on the host takes
the dead process's leased messages at once (not after the 300 s lease), every message is
delivered, and each possible duplicate shows as such in `danvan outbox list`.

A real Prefect server (SQLite), `engine.deploy()` to a process pool, one more deployment
(a flow that waits until it is killed) registered the same way, a real
`prefect worker start`. The worker's environment has no heartbeat setting: the
deployments carry it as a job variable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow import engine
from danvan_workflow.cli.main import app as cli_app
from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.services.outbox import dispatch
from tests.conftest import ROOT
from tests.fakes.smtp_server import free_port
from tests.fakes.webhook_server import FakeWebhookServer
from tests.services.test_dispatch_concurrency import (
    fast_webhook_config,
    flagged,
    keys_received,
    queue_webhook_messages,
)

pytestmark = pytest.mark.e2e

POOL = "danvan-crash-pool"
SLOW_FLOW = '''
import os
import threading
from pathlib import Path

from prefect import flow


@flow(name="cho-bi-dung")
def wait_to_be_killed(pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    from danvan_workflow.services.outbox import dispatch

    dispatch(batch=500, timeout=120)  # the receiver is slow: killed in the middle
    threading.Event().wait(900)  # the test kills this process long before
'''


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    home = tmp_path / "prefect"
    home.mkdir()
    proc = engine.start_server(port, home=home, log_path=tmp_path / "server.log")
    api = f"http://127.0.0.1:{port}/api"
    try:
        engine.wait_healthy(api, proc, timeout=120)
        yield api
    finally:
        engine.stop_server(proc)


def _poll(what: str, check: Any, timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _heartbeats(api: str, run_id: str) -> int:
    r = httpx.post(f"{api}/events/filter", json={"filter": {
        "event": {"name": ["prefect.flow-run.heartbeat"]},
        "resource": {"id": [f"prefect.flow-run.{run_id}"]}}, "limit": 50}, timeout=10)
    r.raise_for_status()
    return len(r.json().get("events", []))


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True  # reaped


def test_a_killed_flow_run_is_marked_crashed(prefect_server: str, tmp_path: Path,
                                            sqlite_url: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    api = prefect_server
    n = 300
    webhook = FakeWebhookServer(delay=0.5).start()  # 4 at a time: over 30 s for the batch
    cfg = fast_webhook_config(tmp_path, concurrency=4)
    monkeypatch.setenv("DANVAN_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("DANVAN_WEBHOOK_URL", f"json://127.0.0.1:{webhook.port}/hook")
    db = engine_for(sqlite_url)
    config_service.load(cfg, engine=db)
    queue_webhook_messages(db, n)
    monkeypatch.delenv(engine.HEARTBEAT_ENV, raising=False)
    monkeypatch.delenv("PREFECT_RUNNER_HEARTBEAT_FREQUENCY", raising=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "slow.py").write_text(SLOW_FLOW)
    pid_file = tmp_path / "flow.pid"

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    with engine.client_settings(api, tmp_path / "client"):
        names = engine.deploy(POOL)  # the engine's deployments + the automation
        engine.deploy_from_source(str(project), "slow.py:wait_to_be_killed", "cham", POOL)
        with get_client(sync_client=True) as client:
            autos = client.read_automations_by_name(engine.CRASH_AUTOMATION_NAME)
            assert len(autos) == 1 and autos[0].enabled
            within = autos[0].trigger.within.total_seconds()  # type: ignore[union-attr]
            assert within == engine.MISSED_HEARTBEATS * engine.DEFAULT_HEARTBEAT_SECONDS
            for name in names[:3]:
                dep = client.read_deployment_by_name(name)
                assert dep.job_variables["env"][engine.HEARTBEAT_ENV] == "30", name
        # deploying again changes nothing and keeps a single automation
        assert engine.ensure_crash_automation() == "unchanged"

        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "worker-home"),
                   PYTHONPATH=str(ROOT), PREFECT_WORKER_QUERY_SECONDS="1",
                   PREFECT_WORKER_PREFETCH_SECONDS="1")
        worker = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
             "--type", "process", "--name", "sap-chet"],
            cwd=tmp_path, env=env, stdout=(tmp_path / "worker.log").open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True)
        flow_pid = None
        try:
            run = run_deployment("cho-bi-dung/cham", parameters={"pid_file": str(pid_file)},
                                 timeout=0)
            run_id = str(run.id)
            with get_client(sync_client=True) as client:
                def running() -> bool:
                    state = client.read_flow_run(run.id).state
                    assert state is not None and not state.is_final(), state
                    return state.is_running() and pid_file.exists() and bool(
                        pid_file.read_text())

                _poll("the flow run to be Running", running, 120)
                flow_pid = int(pid_file.read_text())
                # the first heartbeat is sent as the run starts: wait until the server has it
                _poll("a heartbeat event", lambda: _heartbeats(api, run_id), 60)
                _poll("the dispatch under way", lambda: len(webhook.requests) >= 8, 60)

                # the machine dies: the worker first (it would report the crash), then the run
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(30)
                os.kill(flow_pid, signal.SIGKILL)
                # SIGKILL is delivered asynchronously: the process is dead (gone or a zombie
                # nobody reaps) only a moment later, on a loaded machine a long moment
                _poll("the run's process to die", lambda: _dead(flow_pid), 30)
                assert client.read_flow_run(run.id).state.is_running()  # type: ignore[union-attr]
                assert len(webhook.requests) < n, "the dispatch ended before the kill"
                webhook.delay = 0.0

                # the next dispatch on this host releases the dead process's leases at once
                with Session(db) as s:
                    leased = s.execute(select(func.count()).select_from(m.OutboxMessage)
                                       .where(m.OutboxMessage.status == "sending")).scalar_one()
                assert leased > 0
                stats = dispatch(engine=db)
                assert stats.sent >= leased
                received = keys_received(webhook)
                assert set(received) == {f"load.{i:05d}" for i in range(n)}  # all delivered
                twice = {key for key, c in received.items() if c > 1}
                doubted = flagged(db)
                assert twice <= doubted and len(doubted) <= 4  # at most the sends in flight
                listed = CliRunner().invoke(cli_app, ["outbox", "list", "--duplicates"],
                                            env={"COLUMNS": "250"})
                assert listed.output.count("Có thể đã gửi hai lần") == len(doubted)

                hb = engine.DEFAULT_HEARTBEAT_SECONDS
                bound = engine.MISSED_HEARTBEATS * hb + hb  # + slack (5 s evaluation period)

                def crashed() -> Any:
                    state = client.read_flow_run(run.id).state
                    assert state is not None
                    if state.is_final():
                        return state
                    return None

                state = _poll("the run to be marked Crashed", crashed, bound, interval=1)
                assert state.is_crashed(), state
                assert "heartbeat" in (state.message or ""), state.message
        finally:
            webhook.stop()
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(30)
            if flow_pid is not None:
                try:
                    os.kill(flow_pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
