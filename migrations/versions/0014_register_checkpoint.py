"""register checkpoint: the full checks of the volunteer register (the checkpoint page views start from);
the indexes the coordinator's volunteer list pages and searches through (trigram GIN on PostgreSQL,
which needs the pg_trgm extension: trusted since PostgreSQL 13, so the database's owner may create it)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volunteer_register_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=True),
    sa.Column('broken_seq', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_register_check'))
    )
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.create_index('ix_volunteer_profile_status_created', ['status', 'created_at', 'user_id'],
                              unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index('ix_user_account_email_trgm', ['email'], unique=False,
                              postgresql_using='gin', postgresql_ops={'email': 'gin_trgm_ops'})
        batch_op.create_index('ix_user_account_name_trgm', ['name'], unique=False,
                              postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index('ix_user_account_name_trgm')
        batch_op.drop_index('ix_user_account_email_trgm')

    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.drop_index('ix_volunteer_profile_status_created')

    op.drop_table('volunteer_register_check')
