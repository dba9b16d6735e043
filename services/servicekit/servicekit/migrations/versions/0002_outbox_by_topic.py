"""outbox_by_topic: read one topic's outbox history in seq order.

Rebuilding a topic lost on the broker replays the outbox rows of that topic, oldest
first; without this index that is a scan of the whole outbox.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('outbox_by_topic', ['topic', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('outbox_by_topic')
