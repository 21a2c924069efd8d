"""The single place that decides whether a request gets a page or a fragment."""
from flask import render_template, request
from htmx_flask import make_response


def wants_fragment():
    """True for htmx requests that swap part of a page.

    Boosted navigation and history restores want the whole page, so a bare
    HX-Request check would be wrong (contact-app's lesson).
    """
    h = request.htmx
    return bool(h) and not h.boosted and not h.history_restore_request


def render_page_or_fragment(page, fragment, status=200, trigger=None, **context):
    """Render `fragment` for htmx swaps and `page` otherwise, with Vary: HX-Request."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context), status, trigger=trigger)
    response.vary.add("HX-Request")
    return response


def htmx_response(body, status=200, reswap=None, retarget=None, trigger=None):
    """A fragment response with htmx headers.

    HX-Reswap is set by hand: htmx-flask 0.1.0 validates it against a list
    with a missing comma ("beforebegin" "afterbegin"), which wrongly refuses
    both of those values.
    """
    response = make_response(body, status, retarget=retarget, trigger=trigger)
    if reswap:
        response.headers["HX-Reswap"] = reswap
    response.vary.add("HX-Request")
    return response


def init_app(app):
    """Make every response vary on HX-Request, so no cache mixes pages and fragments."""

    @app.after_request
    def _vary(response):
        if request.endpoint != "static":
            response.vary.add("HX-Request")
        return response
