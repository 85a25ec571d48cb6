"""Zalo OA / ZNS token lifecycle against a fake Zalo with short-lived, single-use tokens."""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.adapters.channels import OutgoingMessage, send
from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.services import zalo_tokens
from danvan_workflow.timeutil import now
from tests.conftest import CONFIG, ROOT
from tests.fakes.zalo_server import FakeZaloServer, OAuthConfig

APP_ID = "4321987654"
APP_SECRET = "app-SECRET-value-77"
FIRST_REFRESH = "RT-0-bootstrap-secret"
SECRET_KEY = Fernet.generate_key().decode()
OA_USER = "900000056"  # DP.BDV.dauMoi in the shipped contacts


def oa_managed_url(server: FakeZaloServer, user: str = OA_USER) -> str:
    return f"dvzoa://managed@{user}?base={server.base_url}&oauth={server.base_url}"


def zns_managed_url(server: FakeZaloServer, phone: str = "0900000056") -> str:
    return (f"dvzns://managed@{phone}?template=231456&base={server.base_url}"
            f"&oauth={server.base_url}")


@pytest.fixture
def zalo_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DANVAN_ZALO_APP_ID", APP_ID)
    monkeypatch.setenv("DANVAN_ZALO_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("DANVAN_ZALO_REFRESH_TOKEN", FIRST_REFRESH)
    monkeypatch.setenv("DANVAN_SECRET_KEY", SECRET_KEY)
    zalo_tokens.forget_cache()
    yield
    zalo_tokens.forget_cache()


def oauth_server(lifetime: float = 2.0) -> FakeZaloServer:
    return FakeZaloServer(oauth=OAuthConfig(APP_ID, APP_SECRET, FIRST_REFRESH, lifetime))


def msg(i: int = 1) -> OutgoingMessage:
    return OutgoingMessage(f"k-{i}", "Nhắc hạn", f"Tin thử số {i}", short_text=f"Tin thử số {i}")


def token_row(engine: Engine) -> m.ZaloToken:
    with Session(engine) as s:
        row = s.get(m.ZaloToken, zalo_tokens.TOKEN_NAME)
        assert row is not None
        return row


def test_bootstraps_stores_encrypted_and_reuses(sqlite_url: str, zalo_env: None) -> None:
    with oauth_server(lifetime=3600) as zalo:
        for i in range(3):
            assert send(oa_managed_url(zalo), msg(i)).ok
        assert send(zns_managed_url(zalo), msg(9)).ok  # ZNS shares the OA's token
        assert zalo.spent_refresh_tokens == [FIRST_REFRESH]  # one refresh for four sends
        assert [r.header("access_token") for r in zalo.oa_requests()] == ["AT-1-secret"] * 3
        oauth = next(r for r in zalo.requests if r.path == "/v4/oa/access_token")
        assert oauth.header("secret_key") == APP_SECRET
        assert b"grant_type=refresh_token" in oauth.body and APP_ID.encode() in oauth.body
    row = token_row(engine_for(sqlite_url))
    assert row.generation == 1
    stored = f"{row.refresh_token} {row.access_token}"
    assert "RT-1-secret" not in stored and "AT-1-secret" not in stored
    assert FIRST_REFRESH not in stored


def test_refreshes_before_expiry_and_after_minus_216(sqlite_url: str, zalo_env: None) -> None:
    with oauth_server(lifetime=0.5) as zalo:
        assert send(oa_managed_url(zalo), msg(1)).ok
        first = token_row(engine_for(sqlite_url)).access_expires_at
        assert first is not None
        # wait (bounded) until the token is inside its refresh margin: the next send
        # refreshes first instead of being refused
        end = time.monotonic() + 10
        while now() < first and time.monotonic() < end:
            time.sleep(0.05)
        assert send(oa_managed_url(zalo), msg(2)).ok
        assert len(zalo.spent_refresh_tokens) == 2
        # Zalo revokes the token early: -216, one refresh, the message is retried once
        zalo.oauth.token_lifetime = 3600  # type: ignore[union-attr]
        assert send(oa_managed_url(zalo), msg(3)).ok
        zalo.expire_access_tokens()
        refused_before = zalo.expired_refusals
        result = send(oa_managed_url(zalo), msg(4))
        assert result.ok, result
        assert zalo.expired_refusals == refused_before + 1
        texts = [zalo.oa_text(r) for r in zalo.oa_requests()]
        assert texts.count("Tin thử số 4") == 2  # refused once, then delivered
        assert zalo.reused_refresh_tokens == []
        assert len(set(zalo.spent_refresh_tokens)) == len(zalo.spent_refresh_tokens)


def test_permanent_refresh_failure_alerts_operators_once(
    sqlite_url: str, zalo_env: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = engine_for(sqlite_url)
    config_service.load(CONFIG, engine=engine)
    with oauth_server(lifetime=3600) as zalo:
        assert send(oa_managed_url(zalo), msg(1)).ok
        zalo.revoke_refresh_tokens()  # e.g. the OA owner revoked the app
        zalo.expire_access_tokens()
        failed = send(oa_managed_url(zalo), msg(2))
        assert not failed.ok and not failed.permanent and failed.retry_after
        assert "RT-" not in (failed.error or "") and APP_SECRET not in (failed.error or "")
        oauth_calls = len([r for r in zalo.requests if r.path == "/v4/oa/access_token"])
        again = send(oa_managed_url(zalo), msg(3))  # no new refresh attempt, no new alert
        assert not again.ok
        assert len([r for r in zalo.requests if r.path == "/v4/oa/access_token"]) == oauth_calls
        with Session(engine) as s:
            alerts = s.execute(select(m.OutboxMessage).where(m.OutboxMessage.kind == "alert")
                               ).scalars().all()
            assert alerts and {a.channel_code for a in alerts} == {"email"}  # not via Zalo
            assert all("danvan zalo token reset" in (a.body or "") for a in alerts)
            assert all("RT-" not in (a.body or "") for a in alerts)
            row = s.get(m.ZaloToken, zalo_tokens.TOKEN_NAME)
            assert row is not None and row.failed_at is not None
        # the operator re-authorises the app and stores the new refresh token
        zalo.refresh_tokens.add("RT-new-secret")
        monkeypatch.setenv("DANVAN_ZALO_REFRESH_TOKEN", "RT-new-secret")
        from danvan_workflow.cli.main import app

        res = CliRunner().invoke(app, ["zalo", "token", "reset"])
        assert res.exit_code == 0, res.output
        assert send(oa_managed_url(zalo), msg(4)).ok
        assert zalo.reused_refresh_tokens == []


def test_token_status_shows_expiry_never_a_token(sqlite_url: str, zalo_env: None) -> None:
    from danvan_workflow.cli.main import app

    runner = CliRunner()
    empty = runner.invoke(app, ["zalo", "token", "status"])
    assert empty.exit_code == 0 and "Chưa có token" in empty.output
    with oauth_server(lifetime=3600) as zalo:
        assert send(oa_managed_url(zalo), msg(1)).ok
    res = runner.invoke(app, ["zalo", "token", "status"])
    assert res.exit_code == 0, res.output
    assert "Hết hạn" in res.output
    for secret in ("AT-1-secret", "RT-1-secret", FIRST_REFRESH, APP_SECRET, SECRET_KEY):
        assert secret not in res.output


def test_missing_secret_key_is_a_clear_retryable_error(
    sqlite_url: str, zalo_env: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DANVAN_SECRET_KEY")
    with oauth_server() as zalo:
        result = send(oa_managed_url(zalo), msg(1))
    assert not result.ok and not result.permanent
    assert "DANVAN_SECRET_KEY" in (result.error or "")
    assert zalo.spent_refresh_tokens == []  # nothing spent without a place to store it


# ------------------------------------------------------- two dispatcher processes

N_MESSAGES = 120
DISPATCHER = (
    "from danvan_workflow.services.outbox import dispatch\n"
    "s = dispatch(batch=6)\n"
    "print(s.sent, flush=True)\n"
)


def queue_oa_messages(engine: Engine, n: int) -> None:
    with Session(engine) as s, s.begin():
        contact = s.execute(select(m.Contact.id).where(m.Contact.code == "DP.BDV.dauMoi")
                            ).scalar_one()
        t = now()
        s.execute(insert(m.tbl(m.OutboxMessage)), [
            dict(idempotency_key=f"oa.{i:04d}", contact_id=contact, channel_code="zalo_oa",
                 kind="test", planned_for=t.date(), subject="Thử", body=f"Tin thử số {i}",
                 status="pending", attempts=0, next_attempt_at=t, created_at=t)
            for i in range(n)
        ])


def test_two_dispatchers_share_single_use_refresh_tokens(
    db_url: str, zalo_env: None, tmp_path: Path,
) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    engine = engine_for(db_url)
    config_service.load(cfg, engine=engine)
    queue_oa_messages(engine, N_MESSAGES)
    with oauth_server(lifetime=0.6) as zalo:
        env = dict(os.environ)
        env.update(DANVAN_DATABASE_URL=db_url, DANVAN_CONFIG_DIR=str(cfg),
                   DANVAN_ZALO_OA_URL=oa_managed_url(zalo, "x"), PYTHONPATH=str(ROOT))
        first = subprocess.Popen([sys.executable, "-c", DISPATCHER], env=env,
                                 stdout=subprocess.PIPE, text=True)
        end = time.monotonic() + 60
        while not zalo.delivered and first.poll() is None and time.monotonic() < end:
            time.sleep(0.02)  # readiness: the first dispatcher is sending
        second = subprocess.Popen([sys.executable, "-c", DISPATCHER], env=env,
                                  stdout=subprocess.PIPE, text=True)
        out1, _ = first.communicate(timeout=300)
        out2, _ = second.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0
    texts = collections.Counter(
        body["message"]["text"] if "text" in body["message"]
        else body["message"]["attachment"]["payload"]["elements"][1]["content"]
        for _, body in zalo.delivered)
    assert set(texts) == {f"Tin thử số {i}" for i in range(N_MESSAGES)}
    assert max(texts.values()) == 1
    assert int(out1) + int(out2) == N_MESSAGES
    # the channel's rate keeps the run longer than three token lifetimes
    assert len(zalo.spent_refresh_tokens) >= 3
    assert zalo.reused_refresh_tokens == []
    assert len(set(zalo.spent_refresh_tokens)) == len(zalo.spent_refresh_tokens)
    with Session(engine) as s:
        sent = s.execute(select(func.count()).select_from(m.OutboxMessage)
                         .where(m.OutboxMessage.status == "sent")).scalar_one()
        workers = set(s.execute(select(m.DeliveryAttempt.worker)).scalars())
        row = s.get(m.ZaloToken, zalo_tokens.TOKEN_NAME)
    assert sent == N_MESSAGES
    assert len(workers) == 2
    assert row is not None and row.generation == len(zalo.spent_refresh_tokens)
