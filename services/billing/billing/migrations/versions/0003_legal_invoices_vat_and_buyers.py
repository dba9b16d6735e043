"""legal invoices: VAT per line, seller and buyer blocks, due date, payment reference; buyers

Issue 15. Invoices issued before it keep NULL in the new columns: they were issued without VAT
(their total is their net) and name no seller.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('billing_buyers',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vat_category', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('vat_rate', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('vat_minor', sa.Integer(), nullable=True))

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seller_id', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('seller', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('buyer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('vat_summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('net_minor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('vat_minor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('payment_reference', sa.String(length=25), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('corrects', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoices_seller_id'), ['seller_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_invoices_payment_reference'), ['payment_reference'])


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invoices_payment_reference'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_invoices_seller_id'))
        for column in ('reason', 'corrects', 'language', 'payment_reference', 'due_on', 'vat_minor', 'net_minor',
                       'vat_summary', 'buyer', 'seller', 'seller_id'):
            batch_op.drop_column(column)

    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        for column in ('vat_minor', 'vat_rate', 'vat_category'):
            batch_op.drop_column(column)

    op.drop_table('billing_buyers')
