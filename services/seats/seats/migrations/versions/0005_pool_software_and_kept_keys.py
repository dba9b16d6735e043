"""pools carry how their product is used; node-locked keys kept for their user (issue 14, R40, R41)

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
    with op.batch_alter_table('seat_pools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('software', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('add_ons', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('seat_pools', schema=None) as batch_op:
        batch_op.drop_column('add_ons')
        batch_op.drop_column('software')
