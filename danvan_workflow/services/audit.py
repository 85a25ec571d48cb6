"""The audit log: who did what, when, before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from danvan_workflow.db.models import AuditEntry, tbl
from danvan_workflow.timeutil import now


def record(
    session: Session, *, actor: str, action: str, entity: str, entity_id: Any = None,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    session.execute(insert(tbl(AuditEntry)).values(
        at=now(), actor=actor, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before, after=after, note=note,
    ))
