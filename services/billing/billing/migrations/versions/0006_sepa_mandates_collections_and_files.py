"""sepa mandates, collections and files: SEPA Direct Debit end to end

Issue 15, item 5. New tables only: the mandates accounts give (at most one active per account),
the collections recorded on invoices' due dates, and the pain.008 files written from them. No
backfill: invoices issued before this revision are not collected by direct debit.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sepa_collection_files',
    sa.Column('file_id', sa.String(length=30), nullable=False),
    sa.Column('seller_id', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('collections', sa.Integer(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('file_id')
    )
    op.create_table('sepa_collections',
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.String(length=8), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('mandate_reference', sa.String(length=35), nullable=False),
    sa.Column('sequence', sa.String(length=4), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.String(length=30), nullable=True),
    sa.Column('collect_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('invoice_id')
    )
    with op.batch_alter_table('sepa_collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sepa_collections_file_id'), ['file_id'], unique=False)
        batch_op.create_index('ix_sepa_collections_seller_state', ['seller_id', 'state'], unique=False)

    op.create_table('sepa_mandates',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('mandate_reference', sa.String(length=35), nullable=False),
    sa.Column('debtor_name', sa.String(length=70), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('sequence', sa.String(length=4), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('mandate_reference', name='uq_sepa_mandates_reference')
    )
    with op.batch_alter_table('sepa_mandates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sepa_mandates_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_sepa_mandates_active_account', ['account_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('sepa_mandates', schema=None) as batch_op:
        batch_op.drop_index('uq_sepa_mandates_active_account', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_sepa_mandates_account_id'))

    op.drop_table('sepa_mandates')
    with op.batch_alter_table('sepa_collections', schema=None) as batch_op:
        batch_op.drop_index('ix_sepa_collections_seller_state')
        batch_op.drop_index(batch_op.f('ix_sepa_collections_file_id'))

    op.drop_table('sepa_collections')
    op.drop_table('sepa_collection_files')
