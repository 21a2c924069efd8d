"""period municipality: the rescued food of each municipality's stores over every 12 months in a row and
every quarter (the dashboard's town ranking reads 640 rows, not 30,000 stores joined to their towns)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

AMOUNTS = ("lots", "weighed_lots", "kg_declared", "kg_received", "kg_unweighed", "kg_food", "value_declared",
           "kg_unvalued")


def upgrade():
    op.create_table('impact_period_municipality',
    sa.Column('first', sa.Date(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('municipality', sa.String(length=80), nullable=False),
    sa.Column('lots', sa.Integer(), nullable=False),
    sa.Column('weighed_lots', sa.Integer(), nullable=False),
    sa.Column('kg_declared', sa.Float(), nullable=False),
    sa.Column('kg_received', sa.Float(), nullable=False),
    sa.Column('kg_unweighed', sa.Float(), nullable=False),
    sa.Column('kg_food', sa.Float(), nullable=False),
    sa.Column('value_declared', sa.Float(), nullable=False),
    sa.Column('kg_unvalued', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('first', 'months', 'municipality', name=op.f('pk_impact_period_municipality'))
    )
    # Filled from the monthly municipality cells, as rollups.rebuild() does (the same sums as migration 0013's).
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        def shifted(k):
            return f"CAST(month - make_interval(0, {k}) AS DATE)"
        quarter = "CAST(date_trunc('quarter', month) AS DATE)"
    else:
        def shifted(k):
            return f"date(month, '-' || ({k}) || ' months')"
        quarter = shifted("(CAST(strftime('%m', month) AS INTEGER) - 1) % 3")
    amounts = ", ".join(AMOUNTS)
    sums = ", ".join(f"sum({a})" for a in AMOUNTS)
    offsets = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(12))
    bind.execute(sa.text(
        f"INSERT INTO impact_period_municipality (first, months, municipality, {amounts}) "
        f"SELECT {shifted('o.k')}, 12, municipality, {sums} FROM impact_month_municipality CROSS JOIN ({offsets}) AS o "
        f"GROUP BY {shifted('o.k')}, municipality UNION ALL "
        f"SELECT {quarter}, 3, municipality, {sums} FROM impact_month_municipality GROUP BY {quarter}, municipality "
        f"ORDER BY 1, 2, 3"))
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE impact_period_municipality")


def downgrade():
    op.drop_table('impact_period_municipality')
