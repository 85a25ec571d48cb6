"""Several dispatchers, and a dispatcher killed mid-batch: nothing lost, nothing sent twice
except what was in flight at the kill (and then with the same idempotency key)."""

from __future__ import annotations

import collections
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.services.outbox import dispatch
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now
from tests.conftest import CONFIG, ROOT
from tests.fakes.webhook_server import FakeWebhookServer

N_MESSAGES = 400
DISPATCHER = (
    "import sys\n"
    "from danvan_workflow.services.outbox import dispatch\n"
    "s = dispatch(batch=int(sys.argv[1]))\n"
    "print(s.sent, flush=True)\n"
)


@pytest.fixture
def webhook() -> Iterator[FakeWebhookServer]:
    with FakeWebhookServer(delay=0.02) as server:
        yield server


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    """The shipped configuration with a faster webhook channel (the test's own receiver)."""
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    path = cfg / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    head, tail = text.split("code: webhook", 1)
    tail = tail.replace("rate_per_second: 20", "rate_per_second: 400", 1)
    tail = tail.replace("concurrency: 4", "concurrency: 8", 1)
    path.write_text(head + "code: webhook" + tail, encoding="utf-8")
    return cfg


def queue_webhook_messages(engine: Engine, n: int) -> None:
    with Session(engine) as s, s.begin():
        contact = s.execute(select(m.Contact.id).limit(1)).scalar_one()
        t = now()
        s.execute(insert(m.tbl(m.OutboxMessage)), [
            dict(idempotency_key=f"load.{i:05d}", contact_id=contact, channel_code="webhook",
                 kind="test", planned_for=t.date(), subject=f"Thông báo thử số {i}",
                 body="Nội dung thử", status="pending", attempts=0, next_attempt_at=t,
                 created_at=t)
            for i in range(n)
        ])


def child_env(url: str, webhook: FakeWebhookServer, cfg: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DANVAN_DATABASE_URL=url, DANVAN_CONFIG_DIR=str(cfg),
               DANVAN_WEBHOOK_URL=f"json://127.0.0.1:{webhook.port}/hook",
               PYTHONPATH=str(ROOT))
    return env


def keys_received(webhook: FakeWebhookServer) -> collections.Counter[str]:
    return collections.Counter(r.header("Idempotency-Key") or "" for r in webhook.requests)


def wait_until(predicate, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Poll for a state change (readiness, not timing); fail after `timeout`."""
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_two_dispatchers_on_postgresql_send_each_message_once(
    pg_url: str, webhook: FakeWebhookServer, fast_config: Path,
) -> None:
    engine = engine_for(pg_url)
    config_service.load(fast_config, engine=engine)
    queue_webhook_messages(engine, N_MESSAGES)
    env = child_env(pg_url, webhook, fast_config)
    first = subprocess.Popen([sys.executable, "-c", DISPATCHER, "10"], env=env,
                             stdout=subprocess.PIPE, text=True)
    # start the second once the first is under way, so that they overlap
    wait_until(lambda: len(webhook.requests) > 0, "the first dispatcher to start sending")
    second = subprocess.Popen([sys.executable, "-c", DISPATCHER, "10"], env=env,
                              stdout=subprocess.PIPE, text=True)
    out1, _ = first.communicate(timeout=300)
    out2, _ = second.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0
    received = keys_received(webhook)
    assert len(received) == N_MESSAGES
    assert max(received.values()) == 1, [k for k, c in received.items() if c > 1]
    assert int(out1) + int(out2) == N_MESSAGES
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(m.OutboxMessage)
                         .where(m.OutboxMessage.status == "sent")).scalar_one() == N_MESSAGES
        workers = set(s.execute(select(m.DeliveryAttempt.worker)).scalars())
    assert len(workers) == 2


def test_dispatcher_killed_mid_batch_loses_nothing(
    db_url: str, webhook: FakeWebhookServer, fast_config: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DANVAN_WEBHOOK_URL", f"json://127.0.0.1:{webhook.port}/hook")
    engine = engine_for(db_url)
    config_service.load(fast_config, engine=engine)
    n = 200
    queue_webhook_messages(engine, n)
    proc = subprocess.Popen([sys.executable, "-c", DISPATCHER, "40"],
                            env=child_env(db_url, webhook, fast_config))
    wait_until(lambda: len(webhook.requests) >= 60, "the dispatcher to be mid-way")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with Session(engine) as s:
        in_flight = set(s.execute(select(m.OutboxMessage.idempotency_key)
                                  .where(m.OutboxMessage.status == "sending")).scalars())
    assert in_flight, "the kill should leave a leased batch behind"
    # a restarted dispatcher takes over the expired lease
    later = now() + dt.timedelta(seconds=get_settings().engine.lease_seconds + 1)
    stats = dispatch(engine=engine, at=later)
    assert stats.sent >= len(in_flight)
    received = keys_received(webhook)
    assert set(received) == {f"load.{i:05d}" for i in range(n)}  # nothing lost
    twice = {k for k, c in received.items() if c > 1}
    assert twice <= in_flight  # only what was in flight at the kill, same key
    assert max(received.values()) <= 2
    with Session(engine) as s:
        status = dict(s.execute(select(m.OutboxMessage.status, func.count())
                                .group_by(m.OutboxMessage.status)).all())
    assert status == {"sent": n}
