"""HTTP caching of the public pages.

The HTML pages carry a per-session CSRF token (meta tag, RSVP and language
forms) and login/logout links, so no shared cache may store them: they stay
`Cache-Control: private, no-cache`. They are still cheap to revisit: the
ETag is a hash of what the page shows (the data's versions) plus who asks
(user, session token, language, page or fragment, templates' version), and
a matching If-None-Match gets a 304 without rendering anything. Files that
are the same for everyone (iCalendar, sitemap, images) are `public`.
"""
import hashlib
import os

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user

from app.htmx import wants_fragment

_release = {}


def _templates_version():
    """A hash of the templates: a deploy that changes the markup changes every ETag."""
    if "hash" not in _release:
        digest = hashlib.sha256()
        root = current_app.jinja_loader.searchpath[0] if current_app.jinja_loader else ""
        for folder, _dirs, files in sorted(os.walk(root)):
            for name in sorted(files):
                with open(os.path.join(folder, name), "rb") as handle:
                    digest.update(handle.read())
        _release["hash"] = digest.hexdigest()[:12]
    return _release["hash"]


def page_etag(parts):
    """The ETag of a page showing `parts` (any repr-able data) to this visitor."""
    who = current_user.get_id() if current_user.is_authenticated else "-"
    raw = repr((parts, who, session.get("csrf_token"), str(get_locale()), wants_fragment(),
                _templates_version()))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def conditional_page(parts, render):
    """render() only if the visitor's copy (If-None-Match) is stale; 304 otherwise.

    A pending flash message always renders, so it is shown and consumed.
    """
    if not session.get("_flashes") and page_etag(parts) in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = make_response(render())
    # After rendering: the page may just have created this session's CSRF token.
    response.set_etag(page_etag(parts))
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("HX-Request")
    return response


def public_file(body, mimetype, max_age):
    """A response any cache may keep for `max_age` seconds, revalidated by its ETag."""
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    return response.make_conditional(request)
