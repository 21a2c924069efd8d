"""Tiny server-rendered SVG charts: no library, no script, no inline style (CSP style-src 'self').

Each chart is an <svg role="img"> named by its <title> and <desc>; every bar
has its own <title> (the exact figure). The page puts a data table beside it,
which is the accessible version and the fallback. Looks come from CSS classes
in static/css/app.css (.chart*), so print and dark themes restyle them.
"""
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 360
MONTH_SHORT = ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")


def _number(value, unit):
    return f"{format_decimal(value, '#,##0.#')} {unit}".strip()


def _svg(chart_id, title, desc, height, body):
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>{body}</svg>')


def bar_chart(chart_id, title, rows, value="kg", unit="kg", limit=10):
    """Horizontal bars in the rows' order: [{'label', value: n}] -> SVG Markup (the first `limit` rows)."""
    items = [(str(row["label"]), float(row[value] or 0)) for row in rows][:limit]
    if not items:
        return Markup("")
    top = max(amount for _label, amount in items) or 1.0
    row_height, label_room, bar_room = 36, 15, WIDTH - 70
    parts = []
    for i, (label, amount) in enumerate(items):
        y = i * row_height
        length = max(1.0, bar_room * amount / top) if amount > 0 else 0.0
        shown = _number(amount, unit)
        parts.append(
            f'<g class="chart-row"><title>{escape(label)}: {escape(shown)}</title>'
            f'<text class="chart-label" x="0" y="{y + 12}">{escape(_shorten(label, 52))}</text>'
            f'<rect class="chart-bar" x="0" y="{y + label_room + 2}" width="{length:.1f}" height="14" rx="3"></rect>'
            f'<text class="chart-value" x="{length + 4:.1f}" y="{y + label_room + 13}">{escape(shown)}</text></g>')
    desc = _("%(n)d voci; i valori esatti sono nella tabella.", n=len(items))
    return _svg(chart_id, title, desc, len(items) * row_height, "".join(parts))


def column_chart(chart_id, title, rows, value="kg", unit="kg"):
    """Vertical columns in time order: [{'year', 'month', value: n}] -> SVG Markup with month initials."""
    items = [(row["year"], row["month"], float(row[value] or 0)) for row in rows]
    if not items:
        return Markup("")
    height, top_room, bottom_room, left = 190, 18, 34, 4
    plot = height - top_room - bottom_room
    top = max(amount for _y, _m, amount in items) or 1.0
    slot = (WIDTH - left) / len(items)
    width = max(2.0, slot * 0.7)
    parts = [f'<line class="chart-axis" x1="0" y1="{top_room + plot}" x2="{WIDTH}" y2="{top_room + plot}"></line>',
             f'<line class="chart-grid" x1="0" y1="{top_room}" x2="{WIDTH}" y2="{top_room}"></line>',
             f'<text class="chart-value" x="0" y="{top_room - 5}">{escape(_number(top, unit))}</text>']
    for i, (year, month, amount) in enumerate(items):
        x = left + i * slot + (slot - width) / 2
        size = plot * amount / top if amount > 0 else 0.0
        shown = _number(amount, unit)
        label = f"{MONTH_SHORT[month - 1]} {year}"
        parts.append(
            f'<g class="chart-row"><title>{escape(label)}: {escape(shown)}</title>'
            f'<rect class="chart-bar" x="{x:.1f}" y="{top_room + plot - size:.1f}" width="{width:.1f}" '
            f'height="{size:.1f}" rx="2"></rect>'
            f'<text class="chart-tick" x="{x + width / 2:.1f}" y="{top_room + plot + 14}" text-anchor="middle">'
            f'{escape(MONTH_SHORT[month - 1][0].upper())}</text></g>')
        if month == 1 or i == 0:
            parts.append(f'<text class="chart-tick" x="{x:.1f}" y="{top_room + plot + 29}">{year}</text>')
    desc = _("Un valore per mese, da %(first)s a %(last)s; i valori esatti sono nella tabella.",
             first=f"{MONTH_SHORT[items[0][1] - 1]} {items[0][0]}", last=f"{MONTH_SHORT[items[-1][1] - 1]} {items[-1][0]}")
    return _svg(chart_id, title, desc, height, "".join(parts))


def _shorten(text, size):
    return text if len(text) <= size else text[:size - 1] + "…"
