"""register checkpoint: the full checks of the volunteer register (the checkpoint page views start from);
the index the coordinator's volunteer list pages through

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


def downgrade():
    with op.batch_alter_table('volunteer_profile', schema=None) as batch_op:
        batch_op.drop_index('ix_volunteer_profile_status_created')

    op.drop_table('volunteer_register_check')
