"""Renders the mails of templates/mail/ (a plain-text and an HTML part) for the mail service.

The services never render templates themselves (tests/test_layout.py); the mail
outbox asks this module for the two parts of a mail, in the language already
forced by the caller, and stores them with the row.
"""
from flask import render_template


def render(name, **context):
    """(text, html) of templates/mail/<name>.txt and .html with `context`."""
    text = render_template(f"mail/{name}.txt", **context)
    html = render_template(f"mail/{name}.html", **context)
    return text.strip() + "\n", html
