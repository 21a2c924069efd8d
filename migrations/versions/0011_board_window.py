"""board: an index on donation.window_end, for one day's board at any network size

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.create_index('ix_donation_window_end', ['window_end'], unique=False)


def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_index('ix_donation_window_end')
