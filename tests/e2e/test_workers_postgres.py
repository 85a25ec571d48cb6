"""Beyond one machine: PostgreSQL for Prefect and for the product, a process work pool,
`danvan deploy`, and two `prefect worker` processes dispatching at once — every message
delivered exactly once."""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from danvan_workflow import engine
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.services.config import load
from tests.conftest import CONFIG, ROOT, _drop_pg_database, _fresh_pg_database, require_pg
from tests.fakes.smtp_server import FakeSMTPServer, free_port
from tests.fakes.zalo_server import FakeZaloServer

pytestmark = pytest.mark.e2e

DAY = dt.date(2026, 7, 24)
POOL = "danvan-test-pool"


@pytest.fixture
def prefect_on_postgres(tmp_path: Path) -> Iterator[str]:
    require_pg()
    db = _fresh_pg_database()
    port = free_port()
    home = tmp_path / "prefect"
    home.mkdir()
    os.environ["PREFECT_API_DATABASE_CONNECTION_URL"] = db.replace(
        "postgresql://", "postgresql+asyncpg://")
    try:
        proc = engine.start_server(port, home=home, log_path=tmp_path / "server.log")
    finally:
        del os.environ["PREFECT_API_DATABASE_CONNECTION_URL"]
    api = f"http://127.0.0.1:{port}/api"
    try:
        engine.wait_healthy(api, proc, timeout=120)
        yield api
    finally:
        engine.stop_server(proc)
        _drop_pg_database(db)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_two_process_workers_on_postgresql_deliver_each_message_once(
    prefect_on_postgres: str, pg_url: str, tmp_path: Path,
) -> None:
    api = prefect_on_postgres
    load(Path(CONFIG))
    with FakeSMTPServer() as smtp, FakeZaloServer() as zalo:
        env = dict(os.environ)
        env.update(PREFECT_API_URL=api, PREFECT_HOME=str(tmp_path / "client"),
                   DANVAN_DATABASE_URL=pg_url, PYTHONPATH=str(ROOT),
                   DANVAN_SMTP_URL=smtp.url(),
                   DANVAN_ZALO_OA_URL=f"dvzoa://oa-token@0?base={zalo.base_url}",
                   PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1")
        for k in ("DANVAN_ZALO_BOT_URL", "DANVAN_ZALO_ZNS_URL", "DANVAN_WEBHOOK_URL"):
            env.pop(k, None)
        deployed = subprocess.run(
            [sys.executable, "-m", "danvan_workflow.cli.main", "deploy", "--pool", POOL],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                 "--type", "process", "--name", f"worker-{i}", "--limit", "1"],
                cwd=ROOT, env=env, stdout=(tmp_path / f"worker-{i}.log").open("wb"),
                stderr=subprocess.STDOUT, start_new_session=True)
            for i in (1, 2)
        ]
        try:
            from prefect.deployments import run_deployment
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: api}):
                # the sweep plans and dispatches; two more dispatch runs compete with it
                runs = [run_deployment("daily-sweep/Quét hằng ngày",
                                       parameters={"run_date": DAY.isoformat()}, timeout=0)]
                runs += [run_deployment("dispatch-outbox/Gửi thông báo định kỳ", timeout=0)
                         for _ in range(2)]
                from prefect.client.orchestration import get_client

                deadline = time.monotonic() + 240
                with get_client(sync_client=True) as client:
                    while True:
                        states = [client.read_flow_run(r.id).state for r in runs]
                        if all(s is not None and s.is_final() for s in states):
                            break
                        assert time.monotonic() < deadline, states
                        time.sleep(0.5)
                    workers_used = {client.read_flow_run(r.id).work_queue_name for r in runs}
            assert all(s is not None and s.is_completed() for s in states), states
            assert workers_used
        finally:
            _stop(workers)

        with session_scope() as s:
            sent = dict(s.execute(
                select(m.OutboxMessage.channel_code, func.count())
                .where(m.OutboxMessage.status == "sent")
                .group_by(m.OutboxMessage.channel_code)).tuples().all())
            pending = s.execute(select(func.count()).select_from(m.OutboxMessage).where(
                m.OutboxMessage.status.in_(["pending", "sending", "retry"]))).scalar_one()
        assert pending == 0
        ids = collections.Counter(str(x.message["Message-ID"]) for x in smtp.messages)
        assert sent.get("email", 0) > 0 and len(ids) == sent["email"]
        assert max(ids.values()) == 1  # each message delivered once
        assert len(zalo.oa_requests()) == sent.get("zalo_oa", 0) > 0
    for i in (1, 2):
        log = (tmp_path / f"worker-{i}.log").read_text(errors="replace")
        # one run at a time per worker (--limit 1): the three runs spread over both
        assert f"Worker 'worker-{i}' submitting flow run" in log
