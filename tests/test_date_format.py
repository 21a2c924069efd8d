"""The templates' `datetime` and `date` filters give exactly Flask-Babel's format_datetime and format_date."""
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask_babel import force_locale, format_date, format_datetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.i18n import _moment_plan, format_moment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
USED = sorted({m.group(2) for path in TEMPLATES.rglob("*.html")
               for m in re.finditer(r"""\|(datetime|date)\(\s*['"]([^'"]+)['"]""", path.read_text())})
# Every pattern the templates use, named formats (Babel's own) and a few plain ones the fast path takes.
PATTERNS = sorted(set(USED) | {"medium", "short", "EEEE d MMMM yyyy", "d/M/y H:mm", "HH:mm 'ore'"})
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31),
                       timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=5, minutes=30))]))
# Around the changes of Italian summer time, where a wrong zone shows first.
edges = st.sampled_from([datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc),
                         datetime(2026, 10, 25, 0, 59, tzinfo=timezone.utc), datetime(2026, 10, 25, 1, 0, tzinfo=timezone.utc),
                         datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc), datetime(2026, 12, 31, 22, 59, tzinfo=timezone.utc)])


def test_the_templates_patterns_are_found_and_most_take_the_fast_path():
    assert {"HH:mm", "EEE d MMM, HH:mm", "yyyyMMdd", "d MMM yyyy"} <= set(USED)
    assert _moment_plan("short") is None and _moment_plan("HH:mm 'ore'") is None
    assert sum(_moment_plan(p) is not None for p in USED) >= len(USED) - 4


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(moments, edges), pattern=st.sampled_from(PATTERNS), locale=st.sampled_from(["it", "en"]))
def test_datetime_equals_babel(app, value, pattern, locale):
    with app.test_request_context("/"), force_locale(locale):
        assert format_moment(value, pattern) == format_datetime(value, pattern)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(moments, edges, st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))),
       pattern=st.sampled_from([p for p in PATTERNS if "H" not in p and "m" not in p.replace("M", "")]),
       locale=st.sampled_from(["it", "en"]))
def test_date_equals_babel(app, value, pattern, locale):
    with app.test_request_context("/"), force_locale(locale):
        assert format_moment(value, pattern, date_only=True) == format_date(value, pattern)


@pytest.mark.parametrize("locale, expected", [("it", "mar 1 dic, 16:30–19:30"), ("en", "Tue 1 Dec, 16:30–19:30")])
def test_filters_in_templates(app, locale, expected):
    start = datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)
    template = "{{ s|datetime('EEE d MMM, HH:mm') }}–{{ e|datetime('HH:mm') }}"
    with app.test_request_context("/"), force_locale(locale):
        assert app.jinja_env.from_string(template).render(s=start, e=start + timedelta(hours=3)) == expected
        assert app.jinja_env.from_string("{{ d|date('yyyyMMdd') }}").render(d=datetime(2026, 12, 31, 23, 30)) == "20270101"
        assert app.jinja_env.from_string("{{ None|datetime('HH:mm') }}").render() == ""
