"""rate_counters and ended_sessions.

`rate_counters` holds the fixed-window counts of `servicekit.store.ratelimit` (sign-in attempts
per client, e-mails sent per account, ...), shared by every replica of a service.
`ended_sessions` lists the sessions identity ended, so that every service refuses their
tokens (not only identity).

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
    op.create_table('rate_counters',
    sa.Column('bucket', sa.String(length=255), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('bucket', 'window_start')
    )
    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.create_index('rate_counters_by_window', ['window_start'], unique=False)

    op.create_table('ended_sessions',
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('session_id')
    )
    with op.batch_alter_table('ended_sessions', schema=None) as batch_op:
        batch_op.create_index('ended_sessions_by_time', ['ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ended_sessions', schema=None) as batch_op:
        batch_op.drop_index('ended_sessions_by_time')
    op.drop_table('ended_sessions')
    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.drop_index('rate_counters_by_window')
    op.drop_table('rate_counters')
