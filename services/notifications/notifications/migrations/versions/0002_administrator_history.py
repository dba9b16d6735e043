"""administrator history: everyone who administered each subscription (or account), with the
address events gave, so that an event naming someone else is refused as inconsistent.

The administrators already known are its first entries, without an address (none was kept):
an event naming them is checked by person id until one gives the address.

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
    op.create_table('administrator_history',
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('subject_id', 'person_id')
    )
    op.execute("INSERT INTO administrator_history (subject_id, person_id, email, since) "
               "SELECT subject_id, person_id, NULL, as_of FROM administrators")


def downgrade() -> None:
    op.drop_table('administrator_history')
