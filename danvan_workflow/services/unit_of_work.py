"""The unit of work a use case owns: one transaction, committed on success.

Entry points (CLI, flows) never open one; they call a use case, which does. A use case that
is called from another use case receives the caller's session instead (`within=`), so a
composite action is still one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from danvan_workflow.db.session import session_scope

__all__ = ["unit_of_work"]


@contextmanager
def unit_of_work(within: Session | None = None, *, engine: Engine | None = None
                 ) -> Iterator[Session]:
    """A new transaction, or the caller's when `within` is given (then the caller commits)."""
    if within is not None:
        yield within
        return
    with session_scope(engine) as session:
        yield session
