"""Languages (Italian first, English second), time zone, localised formatting."""
import functools
import re
from decimal import ROUND_HALF_EVEN, Decimal

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
        return {"current_locale": str(get_locale() or "it")}

    app.add_template_filter(lambda v, f="medium": format_datetime(v, f) if v else "", "datetime")
    app.add_template_filter(lambda v, f="medium": format_date(v, f) if v else "", "date")
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
        rv = get_translations().ugettext(__string)
        if __context.eval_ctx.autoescape:
            rv = as_text(rv)
        return rv % variables

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = get_translations().ungettext(__singular, __plural, __num)
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
