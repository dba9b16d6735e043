"""seats: its tables as they were when migrations began.

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
    op.create_table('activation_keys',
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('device_id', sa.String(length=200), nullable=True),
    sa.Column('device_name', sa.String(length=200), nullable=True),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key_id')
    )
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.create_index('activation_keys_device', ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activation_keys_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('registered_people',
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('email')
    )
    op.create_table('seat_assignments',
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('subscription_id', 'user_id')
    )
    with op.batch_alter_table('seat_assignments', schema=None) as batch_op:
        batch_op.create_index('seat_assignments_email', ['email'], unique=False)

    op.create_table('seat_leases',
    sa.Column('lease_id', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('session_id', sa.String(length=128), nullable=True),
    sa.Column('acquired_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('lease_id')
    )
    with op.batch_alter_table('seat_leases', schema=None) as batch_op:
        batch_op.create_index('seat_leases_email', ['email'], unique=False)
        batch_op.create_index('seat_leases_live', ['subscription_id', 'released_at', 'expires_at'], unique=False)
        batch_op.create_index('seat_leases_person', ['person_id', 'session_id'], unique=False)

    op.create_table('seat_pools',
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('admin_person_id', sa.String(length=64), nullable=False),
    sa.Column('admin_email', sa.String(length=320), nullable=False),
    sa.Column('admin_name', sa.String(length=200), nullable=False),
    sa.Column('admin_locale', sa.String(length=8), nullable=False),
    sa.Column('licence_type', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('term_start', sa.DateTime(), nullable=True),
    sa.Column('term_end', sa.DateTime(), nullable=True),
    sa.Column('unit_price_minor', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('scheduled_quantity', sa.Integer(), nullable=True),
    sa.Column('deprovision_at', sa.DateTime(), nullable=True),
    sa.Column('decrease_requested_at', sa.DateTime(), nullable=True),
    sa.Column('trial_ends_at', sa.DateTime(), nullable=True),
    sa.Column('product', sa.String(length=64), server_default='', nullable=False),
    sa.Column('tier', sa.String(length=64), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('subscription_id')
    )
    with op.batch_alter_table('seat_pools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_pools_account_id'), ['account_id'], unique=False)

    op.create_table('seat_users',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('subscription_id', 'email', name='seat_users_one_per_email')
    )
    with op.batch_alter_table('seat_users', schema=None) as batch_op:
        batch_op.create_index('seat_users_email', ['email'], unique=False)
        batch_op.create_index('seat_users_person', ['person_id'], unique=False)

    op.create_table('trial_seat_holders',
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('first_assigned_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('email')
    )
    op.create_table('user_import_rows',
    sa.Column('import_id', sa.String(length=64), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('import_id', 'row_no')
    )
    op.create_table('user_imports',
    sa.Column('import_id', sa.String(length=64), nullable=False),
    sa.Column('subscription_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('progressed_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('dropped', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('import_id')
    )
    with op.batch_alter_table('user_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_imports_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_imports_subscription_id'))

    op.drop_table('user_imports')
    op.drop_table('user_import_rows')
    op.drop_table('trial_seat_holders')
    with op.batch_alter_table('seat_users', schema=None) as batch_op:
        batch_op.drop_index('seat_users_person')
        batch_op.drop_index('seat_users_email')

    op.drop_table('seat_users')
    with op.batch_alter_table('seat_pools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seat_pools_account_id'))

    op.drop_table('seat_pools')
    with op.batch_alter_table('seat_leases', schema=None) as batch_op:
        batch_op.drop_index('seat_leases_person')
        batch_op.drop_index('seat_leases_live')
        batch_op.drop_index('seat_leases_email')

    op.drop_table('seat_leases')
    with op.batch_alter_table('seat_assignments', schema=None) as batch_op:
        batch_op.drop_index('seat_assignments_email')

    op.drop_table('seat_assignments')
    op.drop_table('registered_people')
    with op.batch_alter_table('activation_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_keys_subscription_id'))
        batch_op.drop_index('activation_keys_device')

    op.drop_table('activation_keys')
