"""network counts: active organisations by kind and volunteers by status, kept exact on every flush
(app/services/people/counts.py), filled here from the tables

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('network_count',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_network_count'))
    )
    op.execute("INSERT INTO network_count (name, n) SELECT 'org:' || kind, count(*) FROM organisation "
               "WHERE active = true GROUP BY kind")
    op.execute("INSERT INTO network_count (name, n) SELECT 'volunteer:' || status, count(*) FROM volunteer_profile "
               "GROUP BY status")


def downgrade():
    op.drop_table('network_count')
