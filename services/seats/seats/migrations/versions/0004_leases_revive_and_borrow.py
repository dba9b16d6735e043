"""floating leases that survive real life: revive window, borrowing, their events (issue 14)

- `seat_leases.account_id`, `.product`: the pool's, carried by the lease's events; filled from
  `seat_pools` for the leases already there.
- `seat_leases.revivable_until`: until when a heartbeat revives a lapsed lease. Leases taken
  before have none: they end at their expiry, as they did.
- `seat_leases.borrowed_until`: borrowed for offline work until then.
- `seat_leases.missed_at`, `.ended_at`: what the lease job already told (heartbeat missed at
  that expiry; over for good), so that it tells each once.
- `device_resets`: the keys a person deactivated themselves, counted over 30 days.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("seat_leases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("product", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("revivable_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("borrowed_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("missed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))

    op.execute(
        "UPDATE seat_leases SET "
        "account_id = COALESCE((SELECT p.account_id FROM seat_pools p "
        "WHERE p.subscription_id = seat_leases.subscription_id), ''), "
        "product = COALESCE((SELECT p.product FROM seat_pools p "
        "WHERE p.subscription_id = seat_leases.subscription_id), '')"
    )

    op.create_table(
        "device_resets",
        sa.Column("reset_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("reset_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reset_id"),
    )
    with op.batch_alter_table("device_resets", schema=None) as batch_op:
        batch_op.create_index("device_resets_person", ["person_id", "reset_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_resets", schema=None) as batch_op:
        batch_op.drop_index("device_resets_person")

    op.drop_table("device_resets")

    with op.batch_alter_table("seat_leases", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
        batch_op.drop_column("missed_at")
        batch_op.drop_column("borrowed_until")
        batch_op.drop_column("revivable_until")
        batch_op.drop_column("product")
        batch_op.drop_column("account_id")
