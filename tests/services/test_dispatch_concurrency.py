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
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.services.outbox import dispatch, reconcile
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


def fast_webhook_config(dest: Path, concurrency: int = 8) -> Path:
    """The shipped configuration with a faster webhook channel (the test's own receiver)."""
    cfg = dest / "config"
    shutil.copytree(CONFIG, cfg)
    path = cfg / "channels.yaml"
    text = path.read_text(encoding="utf-8")
    head, tail = text.split("code: webhook", 1)
    tail = tail.replace("rate_per_second: 20", "rate_per_second: 400", 1)
    tail = tail.replace("concurrency: 4", f"concurrency: {concurrency}", 1)
    path.write_text(head + "code: webhook" + tail, encoding="utf-8")
    return cfg


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    return fast_webhook_config(tmp_path)


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


def attempts_by_key(engine: Engine) -> collections.Counter[str]:
    """Recorded sends (delivered, or in flight when their dispatcher stopped) per key."""
    with Session(engine) as s:
        rows = s.execute(select(m.OutboxMessage.idempotency_key)
                         .join(m.DeliveryAttempt,
                               m.DeliveryAttempt.message_id == m.OutboxMessage.id)
                         .where(m.DeliveryAttempt.result.in_(("sent", "unknown")))).scalars()
        return collections.Counter(rows)


def flagged(engine: Engine) -> set[str]:
    with Session(engine) as s:
        return set(s.execute(select(m.OutboxMessage.idempotency_key)
                             .where(m.OutboxMessage.maybe_duplicate.is_(True))).scalars())


def test_killed_dispatchers_resend_only_what_was_in_flight(
    db_url: str, fast_config: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """kill -9 three times during a batch of 500 to a 50 ms receiver: each kill costs at
    most the sends in flight (the channel's concurrency, 8), the next dispatcher takes the
    dead process's leases at once (not after the 300 s lease), and every send is on record."""
    n, concurrency, kills = 500, 8, 3
    with FakeWebhookServer(delay=0.05) as webhook:
        monkeypatch.setenv("DANVAN_WEBHOOK_URL", f"json://127.0.0.1:{webhook.port}/hook")
        engine = engine_for(db_url)
        config_service.load(fast_config, engine=engine)
        queue_webhook_messages(engine, n)
        env = child_env(db_url, webhook, fast_config)
        doubted: set[str] = set()
        for k in range(kills):
            proc = subprocess.Popen([sys.executable, "-c", DISPATCHER, "500"], env=env)
            target = 60 + 100 * k
            wait_until(lambda t=target: len(webhook.requests) >= t, "the dispatcher mid-batch")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            with Session(engine) as s:
                leased = s.execute(select(func.count()).select_from(m.OutboxMessage)
                                   .where(m.OutboxMessage.status == "sending")).scalar_one()
            assert leased > 0, "the kill should leave leased messages behind"
            with Session(engine) as s, s.begin():
                # the dead process is detected: its leases end now, 300 s early
                settled = reconcile(s, now())
            assert settled.requeued + settled.in_doubt == leased
            assert settled.in_doubt <= concurrency
            doubted |= flagged(engine)
        dispatch(engine=engine)
        received = keys_received(webhook)
        assert set(received) == {f"load.{i:05d}" for i in range(n)}  # nothing lost
        twice = {key for key, c in received.items() if c > 1}
        assert twice <= doubted and len(doubted) <= kills * concurrency
        assert max(received.values()) <= 2
        recorded = attempts_by_key(engine)
        assert all(recorded[key] >= c for key, c in received.items()), "a send off the record"
        with Session(engine) as s:
            status = dict(s.execute(select(m.OutboxMessage.status, func.count())
                                    .group_by(m.OutboxMessage.status)).all())
        assert status == {"sent": n}


def test_a_lease_that_ends_mid_send_doubles_only_the_sends_in_flight(
    db_url: str, fast_config: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two dispatchers, and a lease shorter than the first one's batch: its sends stall
    (the receiver holds them) past the lease. The second takes the batch over, sends again
    only what was in flight (flagged as possible duplicates), and the first, once its sends
    return, sends nothing it no longer holds."""
    n, concurrency = 300, 8
    patient = DISPATCHER.replace("batch=int(sys.argv[1])", "batch=int(sys.argv[1]), timeout=120")
    with FakeWebhookServer(delay=0.02) as webhook:
        monkeypatch.setenv("DANVAN_WEBHOOK_URL", f"json://127.0.0.1:{webhook.port}/hook")
        engine = engine_for(db_url)
        config_service.load(fast_config, engine=engine)
        queue_webhook_messages(engine, n)
        env = child_env(db_url, webhook, fast_config)
        first = subprocess.Popen([sys.executable, "-c", patient, "300"], env=env,
                                 stdout=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: len(webhook.requests) >= 40, "the first dispatcher mid-batch")
            webhook.hang_next(concurrency)  # every sending slot of the first one stalls
            for _ in range(concurrency):
                assert webhook.hanging.acquire(timeout=60), "the first dispatcher stalled"
            # the second runs when the first's lease has ended (its clock is ahead)
            later = now() + dt.timedelta(seconds=3 * get_settings().engine.lease_seconds)
            second = dispatch(engine=engine, at=later, worker="second")
        finally:
            webhook.release_hangs()
        out, _ = first.communicate(timeout=120)
        assert first.returncode == 0
        received = keys_received(webhook)
        assert set(received) == {f"load.{i:05d}" for i in range(n)}
        doubted = flagged(engine)
        assert concurrency <= len(doubted) <= 2 * concurrency  # started, at most a slot's worth
        twice = {key for key, c in received.items() if c > 1}
        assert len(twice) >= concurrency and twice <= doubted
        assert max(received.values()) <= 2
        assert second.sent >= n - int(out)
        recorded = attempts_by_key(engine)
        assert all(recorded[key] >= c for key, c in received.items()), "a send off the record"
        with Session(engine) as s:
            status = dict(s.execute(select(m.OutboxMessage.status, func.count())
                                    .group_by(m.OutboxMessage.status)).all())
        assert status == {"sent": n}
        # the administrator sees them as such
        listed = CliRunner().invoke(app, ["outbox", "list", "--duplicates", "--limit", "100"],
                                    env={"COLUMNS": "250"})
        assert listed.exit_code == 0, listed.output
        assert f"{len(doubted)} thông báo có thể đã gửi hai lần" in listed.output
        assert listed.output.count("Có thể đã gửi hai lần") == len(doubted)
        with Session(engine) as s:
            one = s.execute(select(m.OutboxMessage.id).where(
                m.OutboxMessage.idempotency_key == sorted(twice)[0])).scalar_one()
        shown = CliRunner().invoke(app, ["outbox", "show", str(one)], env={"COLUMNS": "250"})
        assert "Có thể đã gửi hai lần" in shown.output and "Không rõ kết quả" in shown.output


def test_a_slow_batch_renews_its_lease(
    sqlite_url: str, fast_config: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch slower than the lease (10 s lease, 200 sends at 0.2 s over 4 connections)
    keeps its rows: a second dispatcher started mid-way finds nothing to take, and nothing
    is sent twice."""
    with FakeWebhookServer(delay=0.2) as webhook:
        monkeypatch.setenv("DANVAN_WEBHOOK_URL", f"json://127.0.0.1:{webhook.port}/hook")
        cfg = fast_config
        path = cfg / "channels.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("concurrency: 8", "concurrency: 4"), encoding="utf-8")
        engine = engine_for(sqlite_url)
        config_service.load(cfg, engine=engine)
        queue_webhook_messages(engine, 200)
        env = child_env(sqlite_url, webhook, cfg) | {"DANVAN_ENGINE__LEASE_SECONDS": "10"}
        first = subprocess.Popen([sys.executable, "-c", DISPATCHER, "200"], env=env,
                                 stdout=subprocess.PIPE, text=True)

        def lease_ends() -> dt.datetime | None:
            with Session(engine) as s:
                return s.execute(select(func.min(m.OutboxMessage.lease_until))
                                 .where(m.OutboxMessage.status == "sending")).scalar_one()

        wait_until(lambda: len(webhook.requests) >= 4, "the first sends")
        first_end = lease_ends()
        assert first_end is not None
        # 15 s of sending at least: more than the lease, and several renewals
        wait_until(lambda: len(webhook.requests) >= 150, "most of the batch", timeout=120)
        renewed_end = lease_ends()
        assert renewed_end is not None and renewed_end > first_end + dt.timedelta(seconds=5)
        monkeypatch.setenv("DANVAN_ENGINE__LEASE_SECONDS", "10")
        from danvan_workflow.settings import reset_settings

        reset_settings()
        second = dispatch(engine=engine, worker="second")
        out, _ = first.communicate(timeout=120)
        assert second.claimed == 0
        assert int(out) == 200
        received = keys_received(webhook)
        assert len(received) == 200 and max(received.values()) == 1
        assert not flagged(engine)
