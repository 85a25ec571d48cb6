"""Operator actions on what arrives from Zalo, one use case each: issue a link code,
confirm or reject a "đã nộp" claim; and the claims listing.

Each use case takes its command (`danvan_workflow.commands.zalo`), owns its unit of work
and returns a typed result; the audit entries are written by services/inbound.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from danvan_workflow.commands.zalo import ConfirmClaim, IssueLinkCode, RejectClaim
from danvan_workflow.db import models as m
from danvan_workflow.errors import UserError
from danvan_workflow.services import inbound
from danvan_workflow.services.reports import SubmitResult
from danvan_workflow.services.unit_of_work import unit_of_work

CLAIM_STATUS_LABELS = {"pending": "Chờ xác nhận", "confirmed": "Đã xác nhận",
                       "rejected": "Bác bỏ"}
CLAIMS_LIMIT = 500


# --------------------------------------------------------------------------- link codes


@dataclass(frozen=True)
class LinkCodeIssued:
    contact: str
    code: str
    expires_at: dt.datetime


def issue_link(cmd: IssueLinkCode, *, engine: Engine | None = None) -> LinkCodeIssued:
    """`danvan contacts link-code`: a one-time code for the contact (stored hashed)."""
    with unit_of_work(engine=engine) as s:
        code, expires = inbound.issue_link_code(s, cmd.contact, actor=cmd.operator,
                                                lifetime=dt.timedelta(hours=cmd.hours))
    return LinkCodeIssued(cmd.contact, code, expires)


# --------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class ClaimConfirmed:
    claim_id: int
    submission: SubmitResult

    @property
    def message(self) -> str:
        return self.submission.message


def confirm_submission_claim(cmd: ConfirmClaim, *, engine: Engine | None = None
                             ) -> ClaimConfirmed:
    """`danvan claims confirm`: record the submission the claim stands for."""
    claim_id = _chosen(cmd.claim_id)
    with unit_of_work(engine=engine) as s:
        result = inbound.confirm_claim(s, claim_id, actor=cmd.operator,
                                       deadline_id=cmd.deadline, received_on=cmd.received_on,
                                       document_number=cmd.document_number)
    assert isinstance(result, SubmitResult)
    return ClaimConfirmed(claim_id, result)


@dataclass(frozen=True)
class ClaimRejected:
    claim_id: int


def reject_submission_claim(cmd: RejectClaim, *, engine: Engine | None = None
                            ) -> ClaimRejected:
    """`danvan claims reject`: the claim is closed, nothing is recorded."""
    claim_id = _chosen(cmd.claim_id)
    with unit_of_work(engine=engine) as s:
        inbound.reject_claim(s, claim_id, actor=cmd.operator)
    return ClaimRejected(claim_id)


def _chosen(claim_id: int | None) -> int:
    if claim_id is None:
        raise UserError("cần chọn báo nộp (hoặc nhập số báo nộp)", field="claim_id")
    return claim_id


@dataclass(frozen=True)
class ClaimRow:
    id: int
    created_at: dt.datetime
    contact_code: str
    deadline_id: int | None
    text: str
    status: str

    @property
    def status_label(self) -> str:
        return CLAIM_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class ClaimList:
    rows: list[ClaimRow]
    total: int  # all matching claims; `rows` holds at most the limit, oldest first

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def claims_view(*, pending_only: bool = True, limit: int = CLAIMS_LIMIT,
                engine: Engine | None = None) -> ClaimList:
    """`danvan claims list`: claims with their contact's code, one query, limited in SQL."""
    SC, C = m.SubmissionClaim, m.Contact
    where = [SC.status == "pending"] if pending_only else []
    q = (select(SC.id, SC.created_at, func.coalesce(C.code, ""), SC.deadline_id, SC.text,
                SC.status)
         .outerjoin(C, C.id == SC.contact_id).where(*where).order_by(SC.id).limit(limit))
    with unit_of_work(engine=engine) as s:
        rows = [ClaimRow(*r) for r in s.execute(q).tuples()]
        total = len(rows) if len(rows) < limit else int(s.execute(
            select(func.count()).select_from(SC).where(*where)).scalar_one())
    return ClaimList(rows, total)
