"""company directory: members, invitees and people from identity's events (issue 11, item 23)

A transfer of the administration names the new administrator by e-mail; subscriptions looks
them up in its own view of identity's public events (R17, R38):

- `company_members`: people linked to an account (`identity.account_registered`'s founder, a
  contact added already registered);
- `company_invitees`: addresses added as contacts (`identity.contact_added`);
- `known_people`: registered people (`identity.person_registered`).

The consumer group reads `identity.events.v1` from its start the first time, so the view is
filled with the whole history before the first transfer needs it.

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
    op.create_table('company_invitees',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'email')
    )
    op.create_table('company_members',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'person_id')
    )
    op.create_table('known_people',
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('person_id')
    )
    with op.batch_alter_table('known_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_people_email'), ['email'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('known_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_people_email'))

    op.drop_table('known_people')
    op.drop_table('company_members')
    op.drop_table('company_invitees')
