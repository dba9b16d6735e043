"""billing: its tables as they were when migrations began.

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
    op.create_table('billing_subscriptions',
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('admin_person_id', sa.String(length=64), nullable=True),
    sa.Column('admin_email', sa.String(length=320), nullable=True),
    sa.Column('admin_name', sa.String(length=200), nullable=True),
    sa.Column('admin_locale', sa.String(length=8), nullable=True),
    sa.Column('product', sa.String(length=64), nullable=False),
    sa.Column('tier', sa.String(length=64), nullable=False),
    sa.Column('billing_cycle', sa.String(length=16), nullable=True),
    sa.Column('unit_price_minor', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('quantity_at', sa.DateTime(), nullable=True),
    sa.Column('term_start', sa.DateTime(), nullable=True),
    sa.Column('term_end', sa.DateTime(), nullable=True),
    sa.Column('po_number', sa.String(length=100), nullable=True),
    sa.Column('payment_method', sa.String(length=100), nullable=True),
    sa.Column('scheduled_quantity', sa.Integer(), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(), nullable=True),
    sa.Column('decrease_requested_at', sa.DateTime(), nullable=True),
    sa.Column('renewal_quantity', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('subscription_id')
    )
    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_subscriptions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_subscriptions_admin_person_id'), ['admin_person_id'], unique=False)

    op.create_table('invoice_counters',
    sa.Column('series', sa.String(length=16), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series')
    )
    op.create_table('invoice_lines',
    sa.Column('line_id', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('period_start', sa.DateTime(), nullable=False),
    sa.Column('period_end', sa.DateTime(), nullable=False),
    sa.Column('quantity_delta', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.Integer(), nullable=False),
    sa.Column('days_remaining', sa.Integer(), nullable=False),
    sa.Column('days_in_term', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('caused_by', sa.String(length=64), nullable=False),
    sa.Column('billing_cycle', sa.String(length=16), nullable=True),
    sa.Column('invoice_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('line_id'),
    sa.UniqueConstraint('caused_by', 'kind', name='uq_invoice_lines_cause_kind')
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_lines_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('invoices',
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('po_number', sa.String(length=100), nullable=True),
    sa.Column('admin_person_id', sa.String(length=64), nullable=False),
    sa.Column('admin_email', sa.String(length=320), nullable=False),
    sa.Column('admin_name', sa.String(length=200), nullable=False),
    sa.Column('admin_locale', sa.String(length=8), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('total_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('invoice_id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_account_id'))

    op.drop_table('invoices')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_invoice_lines_account_id'))

    op.drop_table('invoice_lines')
    op.drop_table('invoice_counters')
    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_subscriptions_admin_person_id'))
        batch_op.drop_index(batch_op.f('ix_billing_subscriptions_account_id'))

    op.drop_table('billing_subscriptions')
