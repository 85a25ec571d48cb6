"""plan validity, archiving of config entities, calendar years

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import danvan_workflow.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('source_file', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('recurs', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('archived_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True))
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.alter_column('recurs', server_default=None)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True))
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('recurs')
        batch_op.drop_column('valid_until')
        batch_op.drop_column('valid_from')
    op.drop_table('calendar_years')
