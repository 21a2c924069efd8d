"""The api blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)
