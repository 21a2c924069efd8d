"""national reads: one day's board (window_end; stores' provinces), custody transfers, a charity's deliveries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TRANSFER = "holder_id IS NOT NULL AND (claimed_by_id IS NULL OR holder_id <> claimed_by_id)"


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        # Covering the board's counts: an index-only range of one day.
        batch_op.create_index('ix_donation_window_end', ['window_end', 'window_start', 'status', 'store_id'],
                              unique=False)
        # A charity's deliveries by state: its page reads them whatever the length of its history.
        batch_op.create_index('ix_donation_recipient_status', ['recipient_id', 'status', 'received_at'], unique=False)
        # Pickups made by a volunteer (the rota's trainees): claimed by them, or held by them after a
        # custody transfer; only those few rows are in this partial index.
        batch_op.create_index('ix_donation_holder_transfer', ['holder_id'], unique=False,
                              postgresql_where=sa.text(TRANSFER), sqlite_where=sa.text(TRANSFER))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_kind_province', ['kind', 'province'], unique=False)
        batch_op.create_index('ix_organisation_active_kind', ['active', 'kind'], unique=False)


def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_index('ix_donation_holder_transfer')
        batch_op.drop_index('ix_donation_recipient_status')
        batch_op.drop_index('ix_donation_window_end')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_active_kind')
        batch_op.drop_index('ix_organisation_kind_province')
