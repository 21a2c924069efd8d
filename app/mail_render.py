"""Renders the mails of templates/mail/ (a plain-text and an HTML part) for the mail service.

The services never render templates themselves nor import what does
(tests/test_layout.py): the factory plugs `render` into the mail outbox
(`init_app`), which calls it in the language already forced by the caller and
stores both parts with the row.
"""
from flask import render_template

from app.services.notify import mail


def render(name, **context):
    """(text, html) of templates/mail/<name>.txt and .html with `context`."""
    text = render_template(f"mail/{name}.txt", **context)
    html = render_template(f"mail/{name}.html", **context)
    return text.strip() + "\n", html


def init_app(app):
    """Give the mail outbox its renderer (once per process; every app shares the templates)."""
    if render not in mail.RENDERERS:
        mail.RENDERERS.append(render)
