"""Withdrawn submissions: a submission recorded by mistake is withdrawn, not deleted

The row moves here with who withdrew it, when and why; the deadline is open again and
the audit trail holds both entries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import danvan_workflow.db.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('withdrawn_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('document_number', sa.String(length=64), nullable=True),
    sa.Column('attachment', sa.String(length=300), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.Column('late_working_days', sa.Integer(), nullable=False),
    sa.Column('withdrawn_by', sa.String(length=100), nullable=False),
    sa.Column('withdrawn_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_withdrawn_submissions_deadline_id_deadlines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_withdrawn_submissions'))
    )
    with op.batch_alter_table('withdrawn_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_withdrawn_submissions_deadline_id'), ['deadline_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('withdrawn_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_withdrawn_submissions_deadline_id'))
    op.drop_table('withdrawn_submissions')
