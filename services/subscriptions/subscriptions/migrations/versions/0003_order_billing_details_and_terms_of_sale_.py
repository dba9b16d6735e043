"""order billing details and terms of sale acceptance (R45)

An order records its billing details and address (`billing`: contracts' BillingDetails as
JSON) and when its purchaser accepted which version of the terms of sale. All three are
nullable: orders placed before, trials and purchase commands carry none.

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
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('terms_of_sale_accepted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('terms_of_sale_version', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('terms_of_sale_version')
        batch_op.drop_column('terms_of_sale_accepted_at')
        batch_op.drop_column('billing')
