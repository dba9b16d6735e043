"""subscriptions: its tables as they were when migrations began.

A database made by the old `create_all` matches this revision, which is why
`python -m <service> migrate --adopt` records such a database here before upgrading it.

Revision ID: 0001
Revises: -
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('amendments',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('from_tier', sa.String(length=64), nullable=False),
    sa.Column('to_tier', sa.String(length=64), nullable=False),
    sa.Column('new_unit_price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendments_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('admin_person_id', sa.String(length=64), nullable=False),
    sa.Column('admin_email', sa.String(length=320), nullable=False),
    sa.Column('admin_name', sa.String(length=200), nullable=False),
    sa.Column('admin_locale', sa.String(length=8), nullable=False),
    sa.Column('product', sa.String(length=64), nullable=False),
    sa.Column('tier', sa.String(length=64), nullable=False),
    sa.Column('licence_type', sa.String(length=32), nullable=False),
    sa.Column('billing_cycle', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('ordered_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('term_start', sa.DateTime(), nullable=True),
    sa.Column('term_end', sa.DateTime(), nullable=True),
    sa.Column('fixed_term_end', sa.DateTime(), nullable=True),
    sa.Column('cancellation_reason', sa.String(length=2000), nullable=True),
    sa.Column('cancels_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_reason', sa.String(length=32), nullable=True),
    sa.Column('grace_ends_at', sa.DateTime(), nullable=True),
    sa.Column('trial_ends_at', sa.DateTime(), nullable=True),
    sa.Column('started_as_trial', sa.Boolean(), nullable=False),
    sa.Column('po_number', sa.String(length=100), nullable=True),
    sa.Column('payment_method', sa.String(length=200), nullable=True),
    sa.Column('next_payment_method', sa.String(length=200), nullable=True),
    sa.Column('scheduled_cycle', sa.String(length=32), nullable=True),
    sa.Column('project_id', sa.String(length=100), nullable=True),
    sa.Column('addons', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_admin_person_id'), ['admin_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_project_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_admin_person_id'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_account_id'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendments_subscription_id'))

    op.drop_table('amendments')
