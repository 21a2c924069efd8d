"""unplaced organisations: a partial index of the organisations without coordinates, which the open
pickups' box of stores adds to those inside it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_unplaced', ['id'], unique=False,
                              postgresql_where=sa.text('lat IS NULL OR lon IS NULL'),
                              sqlite_where=sa.text('lat IS NULL OR lon IS NULL'))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_unplaced')
