"""Markdown written by coordinators, rendered to HTML and sanitised with nh3.

Raw HTML in the Markdown is not interpreted (markdown-it's `html` option is
off), and nh3 then keeps only a small set of tags and attributes, so the
output is safe to mark `|safe` in templates. Headings move one level down:
the page title is the only <h1>.
"""
import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "a", "ul", "ol", "li",
                "blockquote", "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}) \
    .enable("table").enable("strikethrough")


def _shift_headings(tokens):
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, 6)
            token.tag = f"h{level}"


def render(text):
    """Markdown to sanitised HTML (an empty string for empty text)."""
    if not (text or "").strip():
        return ""
    tokens = _md.parse(text)
    _shift_headings(tokens)
    html = _md.renderer.render(tokens, _md.options, {})
    return sanitise(html)


def sanitise(html):
    """Keep only the allowed tags, attributes and link schemes; links get rel=noopener."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer", strip_comments=True)
