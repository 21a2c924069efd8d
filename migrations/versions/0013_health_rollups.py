"""health rollups: operational health per posting month and category, minutes to claim, active volunteers;
impact per store and charity over every 12 months in a row and every quarter; a version per month of impact

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('health_source',
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('charity_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('unclaimed', sa.Integer(), nullable=False),
    sa.Column('in_time', sa.Integer(), nullable=False),
    sa.Column('expired', sa.Integer(), nullable=False),
    sa.Column('expired_kg', sa.Float(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('no_show', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('ddt_month', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('donation_id', name=op.f('pk_health_source'))
    )
    with op.batch_alter_table('health_source', schema=None) as batch_op:
        batch_op.create_index('ix_health_source_charity', ['charity_id', 'posted_at'], unique=False)
        batch_op.create_index('ix_health_source_store', ['store_id', 'posted_at'], unique=False)
        batch_op.create_index('ix_health_source_window_end', ['window_end'], unique=False)

    op.create_table('health_month',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('posted', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('unclaimed', sa.Integer(), nullable=False),
    sa.Column('in_time', sa.Integer(), nullable=False),
    sa.Column('expired_lots', sa.Integer(), nullable=False),
    sa.Column('expired_kg', sa.Float(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'category', name=op.f('pk_health_month'))
    )
    op.create_table('health_minutes',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('lots', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'category', 'minutes', name=op.f('pk_health_minutes'))
    )
    op.create_table('volunteer_month',
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('ddts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('carrier_id', 'category', 'month', name=op.f('pk_volunteer_month'))
    )
    op.create_table('volunteer_span',
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('prev_month', sa.Date(), nullable=False),
    sa.Column('carriers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'month', 'prev_month', name=op.f('pk_volunteer_span'))
    )
    for table, dim in (('impact_period_store', 'store_id'), ('impact_period_charity', 'charity_id')):
        op.create_table(table,
        sa.Column('first', sa.Date(), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column(dim, sa.Integer(), nullable=False),
        sa.Column('lots', sa.Integer(), nullable=False),
        sa.Column('weighed_lots', sa.Integer(), nullable=False),
        sa.Column('kg_declared', sa.Float(), nullable=False),
        sa.Column('kg_received', sa.Float(), nullable=False),
        sa.Column('kg_unweighed', sa.Float(), nullable=False),
        sa.Column('kg_food', sa.Float(), nullable=False),
        sa.Column('value_declared', sa.Float(), nullable=False),
        sa.Column('kg_unvalued', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('first', 'months', dim, name=op.f(f'pk_{table}'))
        )
    op.create_table('impact_month_version',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_impact_month_version'))
    )
    _fill()
    _fill_periods()
    # Every month with impact gets a first version (what the equity's monthly figures are cached against).
    import secrets

    op.get_bind().execute(sa.text(
        "INSERT INTO impact_month_version (month, version, token) SELECT month, 1, :token "
        "FROM impact_month_category GROUP BY month"), {"token": secrets.token_hex(8)})
    if op.get_bind().dialect.name == "postgresql":
        # Statistics for the planner now (autovacuum may be off): the pages' reads rely on them.
        op.execute("ANALYZE health_source, health_month, health_minutes, volunteer_month, volunteer_span, "
                   "impact_period_store, impact_period_charity, impact_month_version")


def _fill_periods():
    """Sum the monthly store and charity cells into every 12 months in a row and every quarter."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        def shifted(k):
            return f"CAST(month - make_interval(0, {k}) AS DATE)"
        quarter = "CAST(date_trunc('quarter', month) AS DATE)"
    else:
        def shifted(k):
            return f"date(month, '-' || ({k}) || ' months')"
        quarter = shifted("(CAST(strftime('%m', month) AS INTEGER) - 1) % 3")
    amounts = "lots, weighed_lots, kg_declared, kg_received, kg_unweighed, kg_food, value_declared, kg_unvalued"
    sums = ", ".join(f"sum({a})" for a in amounts.split(", "))
    offsets = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(12))
    for table, dim, monthly in (("impact_period_store", "store_id", "impact_month_store"),
                                ("impact_period_charity", "charity_id", "impact_month_charity")):
        bind.execute(sa.text(
            f"INSERT INTO {table} (first, months, {dim}, {amounts}) "
            f"SELECT {shifted('o.k')}, 12, {dim}, {sums} FROM {monthly} CROSS JOIN ({offsets}) AS o "
            f"GROUP BY {shifted('o.k')}, {dim} UNION ALL "
            f"SELECT {quarter}, 3, {dim}, {sums} FROM {monthly} GROUP BY {quarter}, {dim} ORDER BY 1, 2, 3"))


def _instant(value):
    """An aware UTC datetime from what the driver returns (SQLite hands back text)."""
    from datetime import datetime, timezone

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _fill():
    """Count the donations already in the database once (the engine's subscriber keeps it exact from here on).

    The same definitions as app/services/impact/health_rollups.py, in plain SQL
    (on SQLite the Rome months are computed in Python).
    """
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        minutes = "CAST(round((julianday(d.claimed_at) - julianday(d.posted_at)) * 86400.0) AS INTEGER) / 60"
    else:
        minutes = "floor(extract(epoch FROM d.claimed_at - d.posted_at) / 60.0)"
    claimed = "(d.status <> 'cancelled' AND d.claimed_at IS NOT NULL)"
    open_at_end = ("(d.picked_up_at IS NULL OR d.picked_up_at > d.window_end) AND "
                   "(d.cancelled_at IS NULL OR d.cancelled_at >= d.window_end)")
    no_show = (f"{open_at_end} AND ((d.claimed_at IS NOT NULL AND d.claimed_at <= d.window_end) OR "
               "(d.claimed_at IS NULL AND d.picked_up_at IS NULL AND u.last_at >= d.window_end))")
    select = (
        "SELECT d.id, d.posted_at, d.window_end, d.store_id, coalesce(d.recipient_id, 0) AS charity_id, d.category, "
        "CASE WHEN d.status = 'cancelled' THEN 1 ELSE 0 END AS cancelled, "
        "CASE WHEN d.status <> 'cancelled' AND d.claimed_at IS NULL THEN 1 ELSE 0 END AS unclaimed, "
        f"CASE WHEN {claimed} AND d.claimed_at <= d.window_end THEN 1 ELSE 0 END AS in_time, "
        "CASE WHEN d.status = 'expired' THEN 1 ELSE 0 END AS expired, "
        "CASE WHEN d.status = 'expired' THEN d.kg_declared ELSE 0.0 END AS expired_kg, "
        f"CASE WHEN {claimed} THEN {minutes} END AS minutes, "
        f"CASE WHEN {no_show} THEN 1 ELSE 0 END AS no_show, "
        "coalesce(t.carrier_id, 0) AS carrier_id, t.issued_at "
        "FROM donation d LEFT JOIN transport_document t ON t.donation_id = d.id "
        "LEFT JOIN (SELECT donation_id, max(occurred_at) AS last_at FROM operation WHERE kind = 'donation.unclaim' "
        "AND status = 'applied' GROUP BY donation_id) u ON u.donation_id = d.id")
    columns = ("donation_id, month, posted_at, window_end, store_id, charity_id, category, cancelled, unclaimed, "
               "in_time, expired, expired_kg, minutes, no_show, carrier_id, ddt_month")
    if bind.dialect.name == "postgresql":
        # One INSERT ... SELECT: the database computes the Rome months itself.
        month = "CAST(date_trunc('month', timezone('Europe/Rome', {})) AS DATE)"
        bind.execute(sa.text(
            f"INSERT INTO health_source ({columns}) SELECT id, {month.format('posted_at')}, posted_at, window_end, "
            "store_id, charity_id, category, cancelled, unclaimed, in_time, expired, expired_kg, minutes, no_show, "
            f"carrier_id, CASE WHEN carrier_id <> 0 THEN {month.format('issued_at')} END FROM ({select}) AS s"))
    else:
        _fill_sqlite(bind, select, columns)
    bind.execute(sa.text(
        "INSERT INTO health_month (month, category, posted, cancelled, unclaimed, in_time, expired_lots, expired_kg, "
        "no_shows) SELECT month, category, count(*), sum(cancelled), sum(unclaimed), sum(in_time), sum(expired), "
        "sum(expired_kg), sum(no_show) FROM health_source GROUP BY month, category"))
    bind.execute(sa.text(
        "INSERT INTO health_minutes (month, category, minutes, lots) SELECT month, category, minutes, count(*) "
        "FROM health_source WHERE minutes IS NOT NULL GROUP BY month, category, minutes UNION ALL "
        "SELECT month, '', minutes, count(*) FROM health_source WHERE minutes IS NOT NULL GROUP BY month, minutes"))
    bind.execute(sa.text(
        "INSERT INTO volunteer_month (carrier_id, category, month, ddts) "
        "SELECT carrier_id, category, ddt_month, count(*) FROM health_source WHERE carrier_id <> 0 "
        "AND ddt_month IS NOT NULL GROUP BY carrier_id, category, ddt_month UNION ALL "
        "SELECT carrier_id, '', ddt_month, count(*) FROM health_source WHERE carrier_id <> 0 "
        "AND ddt_month IS NOT NULL GROUP BY carrier_id, ddt_month"))
    bind.execute(sa.text(
        "INSERT INTO volunteer_span (category, month, prev_month, carriers) SELECT category, month, prev, count(*) "
        "FROM (SELECT category, month, coalesce(lag(month) OVER (PARTITION BY carrier_id, category ORDER BY month), "
        "'0001-01-01') AS prev FROM volunteer_month) AS m GROUP BY category, month, prev"))


def _fill_sqlite(bind, select, columns, batch_size=5000):
    """SQLite has no time zones: read the rows, add the Rome months, insert a batch at a time."""
    from zoneinfo import ZoneInfo

    rome = ZoneInfo("Europe/Rome")

    def month(instant):
        return instant.astimezone(rome).date().replace(day=1).isoformat()

    def text_time(instant):  # as the app's SQLAlchemy types store it: naive UTC text
        return instant.strftime("%Y-%m-%d %H:%M:%S.%f")

    insert = sa.text(f"INSERT INTO health_source ({columns}) VALUES (:id, :month, :posted, :window_end, :store, "
                     ":charity, :category, :cancelled, :unclaimed, :in_time, :expired, :expired_kg, :minutes, "
                     ":no_show, :carrier, :ddt_month)")
    batch = []
    for row in bind.execute(sa.text(select)):
        posted, issued = _instant(row.posted_at), _instant(row.issued_at)
        batch.append({
            "id": row.id, "month": month(posted), "posted": text_time(posted),
            "window_end": text_time(_instant(row.window_end)), "store": row.store_id, "charity": row.charity_id,
            "category": row.category, "cancelled": row.cancelled, "unclaimed": row.unclaimed,
            "in_time": row.in_time, "expired": row.expired, "expired_kg": float(row.expired_kg),
            "minutes": int(row.minutes) if row.minutes is not None else None, "no_show": row.no_show,
            "carrier": row.carrier_id, "ddt_month": month(issued) if issued and row.carrier_id else None})
        if len(batch) >= batch_size:
            bind.execute(insert, batch)
            batch = []
    if batch:
        bind.execute(insert, batch)


def downgrade():
    op.drop_table('impact_month_version')
    op.drop_table('impact_period_charity')
    op.drop_table('impact_period_store')
    op.drop_table('volunteer_span')
    op.drop_table('volunteer_month')
    op.drop_table('health_minutes')
    op.drop_table('health_month')
    with op.batch_alter_table('health_source', schema=None) as batch_op:
        batch_op.drop_index('ix_health_source_window_end')
        batch_op.drop_index('ix_health_source_store')
        batch_op.drop_index('ix_health_source_charity')

    op.drop_table('health_source')
