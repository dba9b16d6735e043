"""agreements as versioned documents (R36)

Each purchase's and amendment's agreement text, written when it is offered, with its version
(template version and a sha-256 of the content) and who accepted it, when. Orders placed
before have none: the API still renders their agreement from the subscription, unversioned.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amendment_id', sa.String(length=64), nullable=True),
    sa.Column('template_version', sa.String(length=32), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('accepted_by', sa.String(length=64), nullable=True),
    sa.Column('accepted_by_name', sa.String(length=200), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('subscription_id', 'number')
    )


def downgrade() -> None:
    op.drop_table('agreements')
