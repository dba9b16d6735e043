"""keys record who activated them; pool policy and ordered quantity (issue 11)

- `activation_keys.person_id`, `.email`: who activated a key (R27), so that only they (or the
  administrator) deactivate it, the pool's policy counts their keys, and they lose them when
  they lose their seat (R24). Keys already active have no holder: the administrator may
  deactivate them, and they count against nobody.
- `seat_pools.keys_per_person`: the pool's policy, 1 until the administrator changes it.
- `seat_pools.ordered_quantity`: the quantity of the purchase that opened the pool; the
  activation must agree. A pool still locked was opened by its purchase with its quantity.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.create_index('activation_keys_holder', ['subscription_id', 'person_id'], unique=False)

    with op.batch_alter_table('seat_pools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keys_per_person', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('ordered_quantity', sa.Integer(), nullable=True))

    op.execute("UPDATE seat_pools SET ordered_quantity = quantity WHERE status = 'locked'")


def downgrade() -> None:
    with op.batch_alter_table('seat_pools', schema=None) as batch_op:
        batch_op.drop_column('ordered_quantity')
        batch_op.drop_column('keys_per_person')

    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.drop_index('activation_keys_holder')
        batch_op.drop_column('email')
        batch_op.drop_column('person_id')
