"""opendata: month x municipality x category rollup, (month, category) versions, the open data files' parts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

AMOUNTS = "lots, weighed_lots, kg_declared, kg_received, kg_unweighed, kg_food, value_declared, kg_unvalued"
SUMS = ("count(*), sum(CASE WHEN kg_received IS NULL THEN 0 ELSE 1 END), sum(kg_declared), "
        "sum(coalesce(kg_received, 0.0)), sum(CASE WHEN kg_received IS NULL THEN kg_declared ELSE 0.0 END), "
        "sum(CASE WHEN category = 'non_umano' THEN 0.0 ELSE coalesce(kg_received, kg_declared) END), "
        "sum(coalesce(value_eur, 0.0)), sum(CASE WHEN value_eur IS NULL THEN kg_declared ELSE 0.0 END)")


def upgrade():
    with op.batch_alter_table('impact_source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality', sa.String(length=80), server_default='', nullable=False))

    op.create_table('impact_month_municipality',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('municipality', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('lots', sa.Integer(), nullable=False),
    sa.Column('weighed_lots', sa.Integer(), nullable=False),
    sa.Column('kg_declared', sa.Float(), nullable=False),
    sa.Column('kg_received', sa.Float(), nullable=False),
    sa.Column('kg_unweighed', sa.Float(), nullable=False),
    sa.Column('kg_food', sa.Float(), nullable=False),
    sa.Column('value_declared', sa.Float(), nullable=False),
    sa.Column('kg_unvalued', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'municipality', 'category', name=op.f('pk_impact_month_municipality'))
    )
    op.create_table('impact_version',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'category', name=op.f('pk_impact_version'))
    )
    op.create_table('open_data_part',
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('recipe', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('crc', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('format', 'month', 'category', name=op.f('pk_open_data_part'))
    )
    _fill()


def _fill():
    """Count what the rollups already hold in the new cells (the engine's subscriber keeps them exact from here on)."""
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE impact_source SET municipality = coalesce((SELECT o.municipality FROM organisation o "
        "WHERE o.id = impact_source.store_id), '')"))
    month = ("CAST(date_trunc('month', day) AS DATE)" if bind.dialect.name == "postgresql"
             else "date(day, 'start of month')")
    bind.execute(sa.text(
        f"INSERT INTO impact_month_municipality (month, municipality, category, {AMOUNTS}) "
        f"SELECT {month}, municipality, category, {SUMS} FROM impact_source GROUP BY {month}, municipality, category"))
    bind.execute(sa.text("INSERT INTO impact_version (month, category, version) "
                         "SELECT month, category, 1 FROM impact_month_category"))


def downgrade():
    op.drop_table('open_data_part')
    op.drop_table('impact_version')
    op.drop_table('impact_month_municipality')
    with op.batch_alter_table('impact_source', schema=None) as batch_op:
        batch_op.drop_column('municipality')
