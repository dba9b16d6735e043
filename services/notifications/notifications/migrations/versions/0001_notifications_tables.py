"""notifications: its tables as they were when migrations began.

A database made by the old `create_all` matches this revision, which is why
`python -m <service> migrate --adopt` records such a database here before upgrading it.

Revision ID: 0001
Revises: -
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('administrators',
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('subject_id')
    )
    op.create_table('emails',
    sa.Column('email_id', sa.String(length=64), nullable=False),
    sa.Column('caused_by', sa.String(length=64), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('recipient_id', sa.String(length=64), nullable=False),
    sa.Column('recipient_email', sa.String(length=320), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('correlation_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=2000), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('email_id')
    )
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emails_caused_by'), ['caused_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_emails_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_emails_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_emails_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emails_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_emails_status'))
        batch_op.drop_index(batch_op.f('ix_emails_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_emails_caused_by'))

    op.drop_table('emails')
    op.drop_table('administrators')
