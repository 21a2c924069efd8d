"""Every template, in Italian and English, with a hostile value in every variable (issue 16).

Each template is rendered twice: once with a harmless string in every variable
and once with `"><svg onload=alert(1)>`. Parsed as HTML, both renderings must
have the same elements with the same attributes: a value that breaks out of an
attribute or text (a translated string with a `"` in `data-confirm`, a name
with a `<`) adds an element or an attribute, and the test names the template.
"""
import pathlib
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from jinja2 import Undefined, pass_context
from markupsafe import escape

ROOT = pathlib.Path(__file__).resolve().parents[1] / "templates"
TEMPLATES = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.html"))
HOSTILE = '"><svg onload=alert(1)>'
HARMLESS = "valore"
# The few variables whose type a template needs to know (what it includes, how it unpacks).
SPECIAL = {"campaigns/_content_form.html": lambda value: {"extra": "campaigns/_event_fields.html"},
           "opendata/index.html": lambda value: {"fields": [(value, value, value)] * 2, "years": [value] * 2},
           # The rota: ticked weekdays are numbers, categories unpack in threes, weekdays come from a helper.
           "rota/_schedule_fields.html": lambda value: {"values": _Fields(value, weekdays=[0, 3])},
           "rota/schedule_form.html": lambda value: {"values": _Fields(value, weekdays=[0, 3])},
           "rota/record.html": lambda value: {"categories": {value: (value, value, value)}},
           "rota/volunteer.html": lambda value: {"schedule_weekdays": lambda schedule: [1, 4],
                                                 "weekday_names": [value] * 7}}


class _Fields:
    """Form values: `value` for every field but the few given (a template needs their type)."""

    def __init__(self, value, **given):
        self._value, self._given = value, given

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._given.get(name, self._value)

    def __getitem__(self, name):
        return self._given.get(name, self._value)

    def get(self, name, default=None):
        return self._given.get(name, self._value)


def _value_class(text):
    """A str subclass that stands for any variable: its attributes, items and calls are more of it."""

    class Value(str):
        def __new__(cls, *args, **kwargs):
            return super().__new__(cls, text)

        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return Value()

        def __getitem__(self, key):
            return Value()

        def __call__(self, *args, **kwargs):
            return Value()

        def __iter__(self):
            return iter([Value(), Value()])  # two of each list (and pairs unpack)

        def __int__(self):
            return 2

        def __float__(self):
            return 2.0

        def __index__(self):
            return 2

        def __lt__(self, other):
            return False

        __le__ = __gt__ = __ge__ = __lt__

        def __add__(self, other):
            return Value()

        __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __add__
        __floordiv__ = __mod__ = __add__

        def __neg__(self, *args):
            return Value()

        __round__ = __abs__ = __pos__ = __neg__

        def __hash__(self):
            return str.__hash__(self)

        # str methods whose names are also fields of the models (campaign.title, ...).
        title = count = index = property(lambda self: Value())

    class Missing(Undefined):
        """Jinja's undefined, replaced by the value itself."""

        def __new__(cls, *args, **kwargs):
            return Value()

    return Value, Missing


class Structure(HTMLParser):
    """The elements and attribute names of an HTML document, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items = []

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, tuple(sorted(name for name, _value in attrs))))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def _structure(html):
    parser = Structure()
    parser.feed(html)
    parser.close()
    return parser.items


def _render(app, name, text, locale):
    """Render template `name` with every variable (and every unknown name) standing for `text`."""
    Value, Missing = _value_class(text)
    env = app.jinja_env.overlay(undefined=Missing, cache_size=0)
    # An overlay shares its parent's filters dict: replace it, or the app keeps these filters.
    env.filters = dict(app.jinja_env.filters)
    for filter_name in ("date", "datetime", "number"):
        env.filters[filter_name] = lambda *args, **kwargs: Value()
    # What goes through |safe is HTML made by a sanitiser or a QR encoder, never a raw
    # variable: here it is escaped, so that the test looks at the template's own escaping.
    env.filters["safe"] = escape
    plural = app.jinja_env.globals["ngettext"]

    @pass_context
    def ngettext(context, singular, plural_form, num, **variables):
        return plural(context, singular, plural_form, int(num), **variables)
    template = env.get_template(name)
    context = {"current_user": Value(), "url_for": lambda *a, **k: "/percorso", "asset": lambda *a: "/a.css",
               "nav_items": lambda: [], "request": Value(), "config": app.config, "form": Value()}
    with app.test_request_context("/"), force_locale(locale):
        app.update_template_context(context)
        context.update({"current_user": Value(), "url_for": lambda *a, **k: "/percorso", "form": Value(),
                        "ngettext": ngettext})
        # Template helpers that look rows up by id get stand-ins: the fake ids are text, which
        # PostgreSQL refuses in an integer comparison, and this test is about the templates.
        context.update({"partner_agreements": lambda *a, **k: [Value(), Value()],
                        "lapsing_agreements": lambda *a, **k: [Value()], "charity_needs": lambda *a, **k: Value(),
                        "proposal_for": lambda *a, **k: [Value()],
                        "own_agreement": lambda *a, **k: (True, Value(), 2)})
        context.update(SPECIAL.get(name, lambda value: {})(Value()))
        return template.render(context)


@pytest.mark.parametrize("locale", ["it", "en"])
@pytest.mark.parametrize("name", TEMPLATES)
def test_a_hostile_value_adds_no_element_or_attribute(app, name, locale):
    harmless = _structure(_render(app, name, HARMLESS, locale))
    hostile_html = _render(app, name, HOSTILE, locale)
    hostile = _structure(hostile_html)
    assert hostile == harmless, f"{name} ({locale}): the hostile value changed the markup"
    assert "onload" not in [attr for _tag, attrs in hostile for attr in attrs]


def test_the_rendering_covers_every_template_and_sees_a_broken_attribute(app):
    """The check itself can fail: an unescaped attribute is caught."""
    assert len(TEMPLATES) > 100
    Value, _Missing = _value_class(HOSTILE)
    broken = '<a data-confirm="{}">x</a>'.format(Value())
    assert _structure(broken) != _structure('<a data-confirm="valore">x</a>')


@pytest.mark.parametrize("lang", ["it", "en"])
def test_token_page_keeps_data_confirm_whole_whatever_the_name(client, login_as, make_org, make_user, lang):
    """The known case: in English the msgstr holds `"`, and a token name broke out of data-confirm."""
    store = make_org("store")
    login_as(make_user("store", org=store))
    client.set_cookie("lang", lang)
    client.post("/negozio/token-api", data={"name": HOSTILE})
    html = client.get("/negozio/token-api").get_data(as_text=True)
    confirms = [attrs for tag, attrs in _structure(html) if "data-confirm" in attrs]
    assert confirms and all("onload" not in attrs for attrs in confirms)
    assert "onload" not in [attr for _tag, attrs in _structure(html) for attr in attrs]
    assert HOSTILE.replace('"', "&#34;").replace("<", "&lt;").replace(">", "&gt;") in html
    assert "<token>" not in html  # "Bearer <token>" is text, not an element


def test_templates_quote_attributes_with_double_quotes():
    """Translations keep their apostrophes unescaped: no template may put a value in a '...' attribute."""
    import re

    offending = []
    for name in TEMPLATES:
        for line in (ROOT / name).read_text().splitlines():
            for match in re.finditer(r"""(?<=\s)[\w-]+=(?:'[^']*\{\{[^']*'|\{\{)""", line):
                if "csrf_token()" not in match.group(0):  # a token: base64 and dots, no quote
                    offending.append((name, match.group(0)))
    assert offending == []
