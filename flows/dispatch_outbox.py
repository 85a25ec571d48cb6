"""Every 5 minutes: send the retries that are due and anything planned since."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import flow

from flows.daily_sweep import dispatch_outbox as dispatch_task


@flow(name="dispatch-outbox")
def dispatch_outbox() -> dict[str, Any]:
    """Gửi các thông báo đến hạn trong hộp thư đi (kể cả gửi lại)."""
    return asdict(dispatch_task(progress_key="danvan-tien-do-gui-dinh-ky"))
