"""Login loading, security headers and the Content-Security-Policy."""
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import db, login_manager

# No inline script anywhere: behaviour lives in static/js and htmx attributes.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app):
    """Wire Flask-Login and add the security headers to every response."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Accedi per continuare.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    if app.config["TRUST_PROXY_HOPS"]:
        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()")
        if current_app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Personal pages must not sit in shared caches.
        if request.endpoint != "static" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-cache"
        return response


@login_manager.unauthorized_handler
def _unauthorized():
    """Anonymous users go to the login page; htmx requests are told to, not given it.

    A polling fragment (the store's "Today" list) whose session expired would
    otherwise follow the redirect and swap the whole login page into a box.
    """
    from flask import flash, redirect, url_for
    from flask_babel import gettext as _
    from htmx_flask import make_response

    login = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login
        return response
    flash(_("Accedi per continuare."), "info")
    return redirect(login)


@login_manager.user_loader
def _load_user(user_id):
    """Load the user from 'id:session_token'; a stale token means logged out."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from app.models import Membership, User
    from app.services.notify import inbox

    try:
        uid, token = user_id.split(":", 1)
        # One round trip for the user, their memberships (with organisations), volunteer profile
        # and unread notifications: every page's navigation, role checks and bell read them.
        row = db.session.execute(select(User, inbox.unread_count_sql(User.id)).where(User.id == int(uid)).options(
            joinedload(User.memberships).joinedload(Membership.organisation),
            joinedload(User.volunteer))).unique().first()
    except (ValueError, TypeError):
        return None
    user = row[0] if row else None
    if user is None or user.session_token != token or not user.is_active:
        return None
    inbox.remember_unread(user.id, row[1])
    return user
