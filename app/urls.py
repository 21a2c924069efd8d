"""Absolute links for things that leave the app (QR codes, shared links)."""
from flask import current_app, url_for


def public_url(endpoint, **values):
    """PUBLIC_BASE_URL plus the path of `endpoint`: stable whatever host served the request."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **values)
