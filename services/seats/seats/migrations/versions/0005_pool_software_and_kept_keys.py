"""pools carry how their product is used; node-locked keys kept for their user (issue 14, R40, R41)

- `seat_pools.software`, `.add_ons`: how the product is used at the tier in force and the
  add-ons bought, from the subscription's events; NULL for pools opened by older events.
- `activation_keys.kept_for_user_id`: a node-locked key reserved for the user it was assigned
  to (R41): sent in their licence e-mail, freed when they lose their seat. Existing keys are
  kept for nobody.

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

    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_for_user_id', sa.String(length=64), nullable=True))
        batch_op.create_index('activation_keys_kept', ['subscription_id', 'kept_for_user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.drop_index('activation_keys_kept')
        batch_op.drop_column('kept_for_user_id')

    with op.batch_alter_table('seat_pools', schema=None) as batch_op:
        batch_op.drop_column('add_ons')
        batch_op.drop_column('software')
