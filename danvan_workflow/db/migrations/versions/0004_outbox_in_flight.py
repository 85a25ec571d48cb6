"""Outbox: sends in flight and possible duplicates

A message's send is marked when it starts (`send_started_at`), so a lease that expires
before the result is recorded is known to be in doubt: the message is sent again and
flagged `maybe_duplicate` for the administrator (`danvan outbox list`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import danvan_workflow.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages') as batch:
        batch.add_column(sa.Column('send_started_at',
                                   danvan_workflow.db.types.AwareDateTime(length=32),
                                   nullable=True))
        batch.add_column(sa.Column('maybe_duplicate', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('maybe_duplicate')
        batch.drop_column('send_started_at')
