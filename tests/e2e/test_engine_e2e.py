"""End to end: a real Prefect server, the served deployments, a daily sweep through the API.

The sweep runs for a chosen date against the shipped config/, sends through the fake
SMTP and Zalo OA servers, and the test checks the outbox, the delivered messages and
the run's artifacts through the API.
"""

from __future__ import annotations

import datetime as dt
import json
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

from danvan_workflow import engine
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.services.config import load
from tests.conftest import CONFIG, ROOT
from tests.fakes.smtp_server import FakeSMTPServer, free_port
from tests.fakes.zalo_server import FakeZaloServer

pytestmark = pytest.mark.e2e

DAY = dt.date(2026, 7, 24)
DEPLOYMENT = "daily-sweep/Quét hằng ngày"
OA_SECRET = "oa-e2e-Tk7-bimat-31415"


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    home = tmp_path / "prefect"
    home.mkdir()
    proc = engine.start_server(port, home=home, log_path=tmp_path / "server.log")
    api = f"http://127.0.0.1:{port}/api"
    try:
        engine.wait_healthy(api, proc, timeout=90)
        yield api
    finally:
        engine.stop_server(proc)


def _wait_for_deployment(api: str, name: str, serve: subprocess.Popen[bytes]) -> None:
    dep_name = name.split("/", 1)[1]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert serve.poll() is None, "the serving process exited"
        r = httpx.post(f"{api}/deployments/filter", json={
            "deployments": {"name": {"any_": [dep_name]}}}, timeout=5)
        if r.status_code == 200 and r.json():
            return
        time.sleep(0.3)
    raise AssertionError(f"deployment {name} not registered")


STARTUP_KEYS = {"danvan-tong-hop-theo-dia-ban", "danvan-qua-han", "danvan-han-14-ngay-toi",
                "danvan-ty-le-dung-han-don-vi"}


def _wait_for_artifacts(api: str, keys: set[str], until: float) -> dict[str, Any]:
    """The latest data of each artifact key, once all exist (fails after `until`)."""
    while True:
        found = httpx.post(f"{api}/artifacts/latest/filter", json={
            "artifacts": {"key": {"any_": sorted(keys)}}}, timeout=10)
        rows = found.json() if found.is_success else []
        data = {a["key"]: json.loads(a["data"]) if isinstance(a["data"], str) else a["data"]
                for a in rows}
        if set(data) >= keys:
            return data
        assert time.monotonic() < until, f"dashboards missing a minute after start: {data}"
        time.sleep(0.5)


def test_daily_sweep_through_a_real_server(prefect_server: str, sqlite_url: str,
                                           tmp_path: Path) -> None:
    load(Path(CONFIG))
    with FakeSMTPServer() as smtp, FakeZaloServer() as zalo:
        env = dict(os.environ)
        env.update(PREFECT_API_URL=prefect_server, PREFECT_HOME=str(tmp_path / "client"),
                   DANVAN_DATABASE_URL=sqlite_url,
                   DANVAN_SMTP_URL=smtp.url(),
                   DANVAN_ZALO_OA_URL=f"dvzoa://{OA_SECRET}@0?base={zalo.base_url}")
        for k in ("DANVAN_ZALO_BOT_URL", "DANVAN_ZALO_ZNS_URL", "DANVAN_WEBHOOK_URL"):
            env.pop(k, None)
        log = (tmp_path / "serve.log").open("wb")
        serve = subprocess.Popen(
            [sys.executable, "-c", "from danvan_workflow.engine import serve_all; serve_all()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            started = time.monotonic()
            _wait_for_deployment(prefect_server, DEPLOYMENT, serve)
            # the dashboards exist as soon as the engine is up, without waiting for 07:30
            start_tables = _wait_for_artifacts(prefect_server, STARTUP_KEYS, started + 60)
            from prefect.deployments import run_deployment
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
                run = run_deployment(DEPLOYMENT, parameters={"run_date": DAY.isoformat()},
                                     timeout=150, poll_interval=1)
            assert run.state is not None and run.state.is_completed(), (
                run.state, (tmp_path / "serve.log").read_text(errors="replace")[-3000:])
        finally:
            serve.send_signal(signal.SIGINT)
            try:
                serve.wait(30)
            except subprocess.TimeoutExpired:
                serve.kill()
                serve.wait()

        with session_scope() as s:
            counts = dict(s.execute(select(m.OutboxMessage.status, func.count())
                                    .group_by(m.OutboxMessage.status)).tuples().all())
            by_channel = dict(s.execute(
                select(m.OutboxMessage.channel_code, func.count())
                .where(m.OutboxMessage.status == "sent")
                .group_by(m.OutboxMessage.channel_code)).tuples().all())
        assert counts.get("sent", 0) > 0
        assert set(counts) <= {"sent", "unconfigured", "cancelled"}
        assert len(smtp.messages) == by_channel.get("email", 0) > 0
        assert len(zalo.oa_requests()) == by_channel.get("zalo_oa", 0) > 0
        subjects = {str(msg.message["Subject"]) for msg in smtp.messages}
        assert any("hạn" in s.lower() for s in subjects)

    levels = {row["Cấp"] for row in start_tables["danvan-tong-hop-theo-dia-ban"]}
    assert {"Tỉnh", "Huyện"} <= levels
    arts = httpx.post(f"{prefect_server}/artifacts/filter", json={
        "artifacts": {"flow_run_id": {"any_": [str(run.id)]}}}, timeout=10).json()
    keys = {a["key"] for a in arts if a.get("key")}
    assert {"danvan-quet-hang-ngay", "danvan-qua-han", "danvan-hop-thu-di"} <= keys
    summary = next(a for a in arts if a.get("key") == "danvan-quet-hang-ngay")
    assert "Đã gửi" in summary["data"]
    # the token reaches Zalo and nothing else: not the artifacts, logs or the database
    assert all(OA_SECRET not in str(a.get("data")) for a in arts)
    logs = httpx.post(f"{prefect_server}/logs/filter", json={
        "logs": {"flow_run_id": {"any_": [str(run.id)]}}}, timeout=10).json()
    assert logs and all(OA_SECRET not in str(entry.get("message")) for entry in logs)
    assert OA_SECRET not in (tmp_path / "serve.log").read_text(errors="replace")
    with session_scope() as s:
        for table in m.Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                assert OA_SECRET not in repr(tuple(row)), table.name
