"""invoice prints: which invoices are printed for their e-mail

Issue 15, item 3. Each invoice is queued here when it is issued; those issued before this
revision are not: their e-mails went long ago with the link only, and must not go again with
the PDF.

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
    op.create_table('billing_invoice_prints',
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('printed_at', sa.DateTime(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('invoice_id')
    )
    op.create_index(op.f('ix_billing_invoice_prints_printed_at'), 'billing_invoice_prints', ['printed_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_billing_invoice_prints_printed_at'), table_name='billing_invoice_prints')
    op.drop_table('billing_invoice_prints')
