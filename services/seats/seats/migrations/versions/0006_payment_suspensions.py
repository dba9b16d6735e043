"""payment suspensions: the periods billing suspends while an invoice is overdue (issue 15, item 6)

- `payment_suspensions`: one row per overdue invoice, subscription and suspended period (the
  terms the invoice charged), from `billing.subscriptions_suspended`; deleted at
  `billing.subscriptions_reinstated`. The access query, leases, device activations and licence
  files refuse a seat while a period covers now. Nothing to backfill: billing's events say it.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payment_suspensions',
        sa.Column('invoice_id', sa.String(length=64), nullable=False),
        sa.Column('subscription_id', sa.String(length=64), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('suspended_at', sa.DateTime(), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('invoice_id', 'subscription_id', 'starts_at'),
    )
    with op.batch_alter_table('payment_suspensions', schema=None) as batch_op:
        batch_op.create_index('payment_suspensions_subscription', ['subscription_id', 'ends_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_suspensions', schema=None) as batch_op:
        batch_op.drop_index('payment_suspensions_subscription')
    op.drop_table('payment_suspensions')
