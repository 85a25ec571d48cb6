"""Zalo: token store, shared rate buckets, inbound events, link codes, claims, fallback

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import danvan_workflow.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_buckets',
    sa.Column('channel_code', sa.String(length=32), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('channel_code', name=op.f('pk_rate_buckets'))
    )
    op.create_table('zalo_tokens',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=True),
    sa.Column('access_expires_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True),
    sa.Column('refreshed_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('failed_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_zalo_tokens'))
    )
    op.create_table('inbound_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('event_name', sa.String(length=64), nullable=False),
    sa.Column('sender_id', sa.String(length=64), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('received_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_inbound_events_contact_id_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_events')),
    sa.UniqueConstraint('source', 'event_id', name=op.f('uq_inbound_events_source_event_id'))
    )
    op.create_table('link_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.Column('expires_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.Column('used_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_link_codes_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash'))
    )
    op.create_table('zalo_links',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('linked_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_zalo_links_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'field', name=op.f('pk_zalo_links'))
    )
    op.create_table('submission_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=False),
    sa.Column('decided_at', danvan_workflow.db.types.AwareDateTime(length=32), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_submission_claims_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_submission_claims_deadline_id_deadlines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['inbound_events.id'], name=op.f('fk_submission_claims_event_id_inbound_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_claims')),
    sa.UniqueConstraint('event_id', name=op.f('uq_submission_claims_event_id'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fallback', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.alter_column('fallback', server_default=None)
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_code', sa.String(length=32), nullable=True))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fallback_of', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('chunks_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_fallback_of_outbox_messages'), 'outbox_messages', ['fallback_of'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('chunks_sent', server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_fallback_of_outbox_messages'), type_='foreignkey')
        batch_op.drop_column('chunks_sent')
        batch_op.drop_column('fallback_of')
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_column('channel_code')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('fallback')

    op.drop_table('submission_claims')
    op.drop_table('zalo_links')
    op.drop_table('link_codes')
    op.drop_table('inbound_events')
    op.drop_table('zalo_tokens')
    op.drop_table('rate_buckets')
