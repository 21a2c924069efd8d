"""The templates' `number` filter gives exactly Babel's format_decimal, in Italian and English."""
from decimal import Decimal

import pytest
from flask_babel import force_locale, format_decimal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.i18n import format_number

PATTERNS = ["#,##0.#", "#,##0", "#,##0.###", "#,##0.##", "#,##0.00", "0", "0.##", "0.000", "0.#"]
numbers = st.one_of(
    st.integers(min_value=-10 ** 9, max_value=10 ** 12),
    st.floats(min_value=-1e9, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-10 ** 9, max_value=10 ** 12, allow_nan=False, allow_infinity=False, places=4),
    st.sampled_from([0, 0.05, 0.15, 0.25, 0.35, 2.5, 1234.5, 999.95, 1e-7, 12345678.25, 0.0]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=numbers, pattern=st.sampled_from(PATTERNS), locale=st.sampled_from(["it", "en"]))
def test_equals_babel(app, value, pattern, locale):
    with app.test_request_context("/"), force_locale(locale):
        assert format_number(value, pattern) == format_decimal(value, pattern)


@pytest.mark.parametrize("locale, expected", [("it", "12.345,7"), ("en", "12,345.7")])
def test_filter_in_templates(app, locale, expected):
    with app.test_request_context("/"), force_locale(locale):
        assert app.jinja_env.from_string("{{ 12345.67|number }}").render() == expected
        assert app.jinja_env.from_string("{{ x|number('#,##0.00') }}").render(x=Decimal("3")) in ("3,00", "3.00")
        assert app.jinja_env.from_string("{{ None|number }}").render() == ""
