"""Languages (Italian first, English second), time zone, localised formatting."""
import functools
import re
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import pytz
from babel.dates import get_day_names, get_month_names
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from app.extensions import babel

LANG_COOKIE = "lang"


def select_locale():
    """The user's setting, else the language cookie, else Accept-Language, else Italian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # worker, CLI, services called from tests: Italian
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LANG_COOKIE) or session.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app):
    """Bind Flask-Babel and expose formatting helpers to templates."""
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    _translations_are_text(app)

    @app.context_processor
    def _i18n_context():
        # The request's catalogue, looked up once per render: the templates' hundred `_()` calls read it
        # from their context instead of asking Flask-Babel (four context lookups each).
        return {"current_locale": str(get_locale() or "it"), "_catalogue": get_translations()}

    app.add_template_filter(lambda v, f="medium": format_moment(v, f) if v else "", "datetime")
    app.add_template_filter(lambda v, f="medium": format_moment(v, f, date_only=True) if v else "", "date")
    app.add_template_filter(lambda v, f="#,##0.#": format_number(v, f) if v is not None else "", "number")


# Plain decimal patterns ("#,##0.#", "0.00", ...): grouping, then minimum and maximum fraction digits.
_PLAIN = re.compile(r"^(#,##)?0(?:\.(0*)(#*))?$")


@functools.lru_cache(maxsize=64)
def _plan(pattern):
    match = _PLAIN.match(pattern)
    if match is None:
        return None
    zeros, hashes = match.group(2) or "", match.group(3) or ""
    return bool(match.group(1)), len(zeros), len(zeros) + len(hashes)


@functools.lru_cache(maxsize=16)
def _separators(locale):
    return get_decimal_symbol(locale), get_group_symbol(locale)


def format_number(value, pattern="#,##0.#"):
    """format_decimal(value, pattern) of the current locale, fast for plain patterns and numbers >= 0.

    A dashboard shows hundreds of figures, and Babel parses the pattern and reads the
    locale's data for each (a tenth of the page's time). The result is Babel's: the same
    conversion (Decimal of the number's str), rounding (half even) and symbols
    (tests/test_number_format.py compares them); other patterns and numbers go to Babel.
    """
    plan = _plan(pattern)
    if plan is None or isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return format_decimal(value, pattern)
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or number < 0:
        return format_decimal(value, pattern)
    grouped, least, most = plan
    number = number.quantize(Decimal(1).scaleb(-most), rounding=ROUND_HALF_EVEN)
    whole, _dot, fraction = (f"{number:,f}" if grouped else f"{number:f}").partition(".")
    fraction = fraction.rstrip("0")
    fraction += "0" * (least - len(fraction))
    decimal_symbol, group_symbol = _separators(str(get_locale() or "it"))
    if grouped:
        whole = whole.replace(",", group_symbol)
    return whole + (decimal_symbol + fraction if fraction else "")


# Plain date patterns: fields by CLDR letters, literals between them (no quotes, no named formats).
_MOMENT_PARTS = re.compile(r"([A-Za-z])\1*|[^A-Za-z']+")
_NAMES = ("EEE", "EEEE", "MMM", "MMMM")
_NUMBERS = {"d": lambda v: str(v.day), "dd": lambda v: f"{v.day:02d}", "M": lambda v: str(v.month),
            "MM": lambda v: f"{v.month:02d}", "y": lambda v: str(v.year), "yyyy": lambda v: f"{v.year:04d}"}
_CLOCK = {"H": lambda v: str(v.hour), "HH": lambda v: f"{v.hour:02d}", "mm": lambda v: f"{v.minute:02d}"}


@functools.lru_cache(maxsize=128)
def _moment_plan(pattern):
    """((is_field, text), ...) of a plain pattern, or None when Babel must read it."""
    parts, end = [], 0
    for match in _MOMENT_PARTS.finditer(pattern):
        if match.start() != end:
            return None  # a quoted literal
        end, text = match.end(), match.group(0)
        if text[0].isalpha() and text not in _NAMES and text not in _NUMBERS and text not in _CLOCK:
            return None  # a named format ("short") or a field we leave to Babel
        parts.append((text[0].isalpha(), text))
    return tuple(parts) if parts and end == len(pattern) else None


@functools.lru_cache(maxsize=16)
def _calendar_names(locale):
    """{field: names} of a locale: abbreviated and wide day names (Monday = 0), month names (January = 1)."""
    return {"EEE": get_day_names("abbreviated", "format", locale), "EEEE": get_day_names("wide", "format", locale),
            "MMM": get_month_names("abbreviated", "format", locale), "MMMM": get_month_names("wide", "format", locale)}


@functools.lru_cache(maxsize=4)
def _zone(name):
    return pytz.timezone(name)  # Flask-Babel's zones (its data ends in 2037, where zoneinfo's goes on)


def format_moment(value, pattern="medium", date_only=False):
    """Flask-Babel's format_datetime (or format_date with `date_only`), fast for plain patterns.

    A board or a list shows a hundred windows, four formatted dates each, and Babel
    costs 30 to 40 microseconds a call (a third of the coordinator board's time at the
    national size). Patterns made only of day and month names, day, month, year, hours
    and minutes are composed here from the locale's own names, in the app's time zone as
    Flask-Babel does (a naive datetime is UTC); anything else goes to Babel.
    tests/test_date_format.py compares the two on every pattern the templates use.
    """
    plan = _moment_plan(pattern)
    is_moment = isinstance(value, datetime)
    fast = plan is not None and (is_moment if not date_only else isinstance(value, date) and not any(
        text in _CLOCK for _field, text in plan))
    if not fast:
        return format_date(value, pattern) if date_only else format_datetime(value, pattern)
    if is_moment:
        zone = _zone(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
        # pytz's fromutc is exact: normalize() is for arithmetic on local times, which this does not do.
        value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(zone)
    names = _calendar_names(str(get_locale() or "it")) if any(text in _NAMES for _field, text in plan) else None
    out = []
    for field, text in plan:
        if not field:
            out.append(text)
        elif text in _NAMES:
            out.append(names[text][value.weekday() if text[0] == "E" else value.month])
        else:
            out.append((_NUMBERS.get(text) or _CLOCK[text])(value))
    return "".join(out)


def _translations_are_text(app):
    """Escape every translation like any other text, in attributes too (issue 16).

    Jinja's newstyle gettext and Flask-Babel's lazy strings hand translations to
    templates as safe markup, so a `"` or a `<` in a msgstr (or a tampered
    catalogue) broke out of `data-confirm="..."`. No msgid of ours holds markup
    (the one `<token>` is text), so translations are escaped; the variables are
    escaped as before, and Markup passed as a variable stays markup. The
    apostrophe, in half the Italian sentences, is left as it is: templates quote
    attributes with `"` only (tests/test_template_attributes.py checks it).
    """

    @pass_context
    def gettext(__context, __string, **variables):
        rv = (__context.get("_catalogue") or get_translations()).ugettext(__string)
        if __context.eval_ctx.autoescape:
            rv = as_text(rv)
        return rv % variables

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = (__context.get("_catalogue") or get_translations()).ungettext(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = as_text(rv)
        return rv % variables

    app.jinja_env.globals.update(gettext=gettext, ngettext=ngettext)
    app.jinja_env.newstyle_gettext = True
    # A lazy string (_l) rendered in a template, or a WTForms label or placeholder, is text too.
    LazyString.__html__ = lambda self: as_text(str(self))


def as_text(text):
    """A translation as HTML text: &, <, > and " escaped (the apostrophe kept, see above)."""
    return Markup(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                  .replace('"', "&#34;"))
