"""subscription stage and parked seat events (issue 11, item 1)

- `billing_subscriptions.stage`: how far billing has seen the subscription go (purchased,
  trialing, active), so that an event is checked against it (`billing.consistency`). Rows of
  an earlier version get the stage their columns show: a term means active, a cycle without
  a term purchased, an administrator alone a trial. A row made by seat events alone stays
  NULL (never seen bought).
- `billing_parked_events`: seat events read before their subscription runs, applied when it
  starts.

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
    op.create_table('billing_parked_events',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('caused_by', sa.String(length=64), nullable=False),
    sa.Column('parked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('caused_by', name='uq_billing_parked_events_cause')
    )
    with op.batch_alter_table('billing_parked_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_parked_events_subscription_id'), ['subscription_id'], unique=False)

    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=16), nullable=True))

    views = sa.table('billing_subscriptions', sa.column('stage', sa.String), sa.column('term_start', sa.DateTime),
                     sa.column('billing_cycle', sa.String), sa.column('admin_person_id', sa.String))
    op.execute(views.update().where(views.c.term_start.isnot(None)).values(stage='active'))
    op.execute(views.update().where(views.c.term_start.is_(None), views.c.billing_cycle.isnot(None),
                                    views.c.admin_person_id.isnot(None)).values(stage='purchased'))
    op.execute(views.update().where(views.c.term_start.is_(None), views.c.billing_cycle.is_(None),
                                    views.c.admin_person_id.isnot(None)).values(stage='trialing'))



def downgrade() -> None:
    with op.batch_alter_table('billing_subscriptions', schema=None) as batch_op:
        batch_op.drop_column('stage')

    with op.batch_alter_table('billing_parked_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_parked_events_subscription_id'))

    op.drop_table('billing_parked_events')
