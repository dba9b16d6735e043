"""unsettled invoices per subscription (R20, issue 15)

An add-on is ordered only when the base subscription's invoices are paid. Billing owns the
invoices; subscriptions keeps, from `billing.invoice_state_changed`, each subscription's
invoices not settled yet (open, partially paid, overdue or uncollectible; paid and void ones
have no row).

The consumer group reads `billing.events.v1` from its start the first time, but events
published before billing named the invoice's subscriptions (`subscription_ids`) teach nothing:
invoices issued before then never hold an add-on back.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unsettled_invoices',
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_number', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('subscription_id', 'invoice_id')
    )


def downgrade() -> None:
    op.drop_table('unsettled_invoices')
