"""invoice documents: the invoices' PDFs the invoice e-mails carry (issue 15, item 3)

E-mails gain the invoice whose PDF they carry, whether they do, and the facts of one held for
its PDF. E-mails queued before are none of these: no document, not attached.

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
    op.create_table('invoice_documents',
    sa.Column('invoice_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('invoice_id')
    )
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('attached', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('facts', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_emails_document_id'), ['document_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emails_document_id'))
        batch_op.drop_column('facts')
        batch_op.drop_column('attached')
        batch_op.drop_column('document_id')

    op.drop_table('invoice_documents')
