"""A channel's rate holds across dispatcher processes (the shared bucket in the database)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.timeutil import now
from tests.conftest import CONFIG, ROOT
from tests.fakes.zalo_server import FakeZaloServer

RATE = 40  # messages per second on the channel
N_MESSAGES = 240
TOKEN = "oa-token-rate-SECRET"
DISPATCHER = (
    "from danvan_workflow.services.outbox import dispatch\n"
    "s = dispatch(batch=10)\n"
    "print(s.sent, flush=True)\n"
)


def test_two_dispatchers_keep_the_channel_rate(db_url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    channels = cfg / "channels.yaml"
    head, tail = channels.read_text(encoding="utf-8").split("code: zalo_oa", 1)
    tail = tail.replace("rate_per_second: 20", f"rate_per_second: {RATE}", 1)
    tail = tail.replace("concurrency: 4", "concurrency: 8", 1)
    channels.write_text(head + "code: zalo_oa" + tail, encoding="utf-8")
    engine = engine_for(db_url)
    config_service.load(cfg, engine=engine)
    with Session(engine) as s, s.begin():
        contact = s.execute(select(m.Contact.id).where(m.Contact.zalo_user_id.is_not(None))
                            .limit(1)).scalar_one()
        t = now()
        s.execute(insert(m.tbl(m.OutboxMessage)), [
            dict(idempotency_key=f"rate.{i:04d}", contact_id=contact, channel_code="zalo_oa",
                 kind="test", planned_for=t.date(), subject="Thử", body=f"Tin số {i}",
                 status="pending", attempts=0, next_attempt_at=t, created_at=t)
            for i in range(N_MESSAGES)
        ])
    with FakeZaloServer(valid_tokens={TOKEN}) as zalo:
        env = dict(os.environ)
        env.update(DANVAN_DATABASE_URL=db_url, DANVAN_CONFIG_DIR=str(cfg), PYTHONPATH=str(ROOT),
                   DANVAN_ZALO_OA_URL=f"dvzoa://{TOKEN}@0?base={zalo.base_url}")
        procs = [subprocess.Popen([sys.executable, "-c", DISPATCHER], env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(int(o) for o in outs) == N_MESSAGES
    assert all(int(o) > 0 for o in outs), outs  # both processes sent
    assert len(zalo.delivered) == N_MESSAGES
    # every whole second: at most the configured rate + 5 %
    counts = dict(sorted(zalo.per_second.items()))
    assert max(counts.values()) <= RATE * 1.05, counts
    with Session(engine) as s:
        workers = s.execute(select(func.count(func.distinct(m.DeliveryAttempt.worker))))
        assert workers.scalar_one() == 2
