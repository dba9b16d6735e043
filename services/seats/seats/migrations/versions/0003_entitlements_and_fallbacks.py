"""entitlements: licence files bound to device fingerprints, free-tier fallbacks (issue 14, R43)

- `seat_fallbacks`: what a person keeps of a product after a trial fell back or their seat was
  revoked (R43, R10): the free standard tier, or a trial they may start. One row per e-mail and
  product; the access query reads it when no seat is in force.
- Licence files need no table: the activation's `device_id` is the fingerprint, and the file is
  signed from the key and its pool.

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
    op.create_table(
        'seat_fallbacks',
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('product', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.String(length=64), nullable=True),
        sa.Column('fallback', sa.String(length=16), nullable=False),
        sa.Column('tier', sa.String(length=64), nullable=False),
        sa.Column('subscription_id', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('email', 'product'),
    )
    with op.batch_alter_table('seat_fallbacks', schema=None) as batch_op:
        batch_op.create_index('seat_fallbacks_person', ['person_id', 'product'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('seat_fallbacks', schema=None) as batch_op:
        batch_op.drop_index('seat_fallbacks_person')
    op.drop_table('seat_fallbacks')
