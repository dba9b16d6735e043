"""payments and bank statements: each invoice's payment state, payments, imported statements

Issue 15, item 5. Backfill: every invoice issued before this revision starts `open`, with
nothing paid (billing recorded no payment before; an operator records what was paid, or
writes it off), due on its due date (the issue date for invoices issued before due dates
existed). No overdue check is scheduled for them: they turn overdue only through a payment
or reversal after their due date. Credit notes are `paid`: they have nothing to pay.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_entries',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_iban', sa.String(length=34), nullable=False),
    sa.Column('entry_id', sa.String(length=80), nullable=False),
    sa.Column('statement_id', sa.String(length=35), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('value_on', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=1000), nullable=True),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=True),
    sa.Column('counterparty_name', sa.String(length=140), nullable=True),
    sa.Column('counterparty_iban', sa.String(length=34), nullable=True),
    sa.Column('return_reason', sa.String(length=35), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('invoice_id', sa.String(length=64), nullable=True),
    sa.Column('payment_id', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('account_iban', 'entry_id', name='uq_bank_entries_account_entry')
    )
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_entries_outcome'), ['outcome'], unique=False)

    op.create_table('bank_statements',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_iban', sa.String(length=34), nullable=False),
    sa.Column('statement_id', sa.String(length=35), nullable=False),
    sa.Column('created_at_text', sa.String(length=35), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('account_iban', 'statement_id', name='uq_bank_statements_account_statement')
    )
    op.create_table('invoice_balances',
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('credited_minor', sa.BigInteger(), nullable=False),
    sa.Column('open_minor', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('invoice_id'),
    sa.UniqueConstraint('number', name='uq_invoice_balances_number')
    )
    with op.batch_alter_table('invoice_balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_balances_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_balances_open_minor'), ['open_minor'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_balances_state'), ['state'], unique=False)

    op.create_table('payments',
    sa.Column('payment_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('bank_entry_id', sa.String(length=80), nullable=True),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('reversed_on', sa.Date(), nullable=True),
    sa.Column('reversal_reason', sa.String(length=35), nullable=True),
    sa.PrimaryKeyConstraint('payment_id')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_end_to_end_id'), ['end_to_end_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)

    _backfill_balances()


def _backfill_balances() -> None:
    day_of = "CAST(issued_at AS DATE)" if op.get_bind().dialect.name == "postgresql" else "date(issued_at)"
    op.execute(
        "INSERT INTO invoice_balances (invoice_id, number, account_id, currency, total_minor, due_on, state, "
        "paid_minor, credited_minor, open_minor, reason, changed_at) "
        f"SELECT invoice_id, number, account_id, currency, "
        "CASE WHEN kind = 'credit_note' OR total_minor < 0 THEN 0 ELSE total_minor END, "
        f"COALESCE(due_on, {day_of}), "
        "CASE WHEN kind = 'credit_note' OR total_minor < 0 THEN 'paid' ELSE 'open' END, "
        "0, 0, CASE WHEN kind = 'credit_note' OR total_minor < 0 THEN 0 ELSE total_minor END, NULL, issued_at "
        "FROM invoices"
    )


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_payments_end_to_end_id'))

    op.drop_table('payments')
    with op.batch_alter_table('invoice_balances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_balances_state'))
        batch_op.drop_index(batch_op.f('ix_invoice_balances_open_minor'))
        batch_op.drop_index(batch_op.f('ix_invoice_balances_account_id'))

    op.drop_table('invoice_balances')
    op.drop_table('bank_statements')
    with op.batch_alter_table('bank_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_entries_outcome'))

    op.drop_table('bank_entries')
