"""The English catalogue is complete and keeps every placeholder."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalog():
    with open(ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def _forms(value):
    """A message's singular and plural forms as a tuple (plural entries have tuples)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def test_every_message_is_translated_into_english():
    missing = [m.id for m in _catalog() if m.id and not all(_forms(m.string))]
    assert missing == []


def test_placeholders_survive_translation():
    broken = []
    for m in _catalog():
        if not m.id or not all(_forms(m.string)):
            continue
        sources, targets = _forms(m.id), _forms(m.string)
        if len(sources) == 1:
            ok = sorted(PLACEHOLDER.findall(sources[0])) == sorted(PLACEHOLDER.findall(targets[0]))
        else:  # plural: no invented placeholder, and the plural form keeps all of the source's
            allowed = set().union(*(PLACEHOLDER.findall(x) for x in sources))
            ok = all(set(PLACEHOLDER.findall(t)) <= allowed for t in targets) and \
                set(PLACEHOLDER.findall(sources[-1])) <= set(PLACEHOLDER.findall(targets[-1]))
        if not ok:
            broken.append(m.id)
    assert broken == []


def test_catalogue_covers_the_source():
    """Run `make extract-messages` after changing UI text (this fails until you do)."""
    from babel.messages.extract import extract_from_dir

    catalogue_ids = {_forms(m.id)[0] for m in _catalog() if m.id}
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=keywords,
            options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}}):
        found.add(message if isinstance(message, str) else message[0])
    assert sorted(found - catalogue_ids) == []
