"""Per-unit figures for the dashboards (read model), and the index that builds them

`unit_figures` holds, per unit and plan, the deadlines due by one day that were reported
on time, late or not yet; `figures_state` says for which day and whether it still holds.
Units get an index on parent_id (the roll-up walks the tree). The index on
deadlines(unit_id) becomes (unit_id, obligation_id, status, due_on), which
covers the figures so that building them reads no table rows. The unique key of
deadlines is reordered to (obligation, period, unit): materialise finds the deadlines of
one occurrence by its first two columns instead of scanning the obligation's.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import danvan_workflow.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_figures',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_unit_figures_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_figures_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('unit_id', 'plan_id', name=op.f('pk_unit_figures'))
    )
    op.create_table('figures_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('refreshed_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figures_state'))
    )
    # the one state row, stale until the first dashboard or sweep builds the figures
    op.execute("INSERT INTO figures_state (id, as_of, stale) VALUES (1, NULL, true)")
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_parent_id'), ['parent_id'], unique=False)
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlines_unit_id'))
        batch_op.create_index('ix_deadlines_unit_figures',
                              ['unit_id', 'obligation_id', 'status', 'due_on'], unique=False)
        batch_op.drop_constraint('uq_deadlines_obligation_id_unit_id_period_key', type_='unique')
        batch_op.create_unique_constraint('uq_deadlines_obligation_id_period_key_unit_id',
                                          ['obligation_id', 'period_key', 'unit_id'])


def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_constraint('uq_deadlines_obligation_id_period_key_unit_id', type_='unique')
        batch_op.create_unique_constraint('uq_deadlines_obligation_id_unit_id_period_key',
                                          ['obligation_id', 'unit_id', 'period_key'])
        batch_op.drop_index('ix_deadlines_unit_figures')
        batch_op.create_index(batch_op.f('ix_deadlines_unit_id'), ['unit_id'], unique=False)
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_parent_id'))
    op.drop_table('figures_state')
    op.drop_table('unit_figures')
