"""Donation documents: DDT pages and PDFs, the donor's monthly summary, the charity's quarterly declaration."""
from flask import Blueprint

bp = Blueprint("documents", __name__)

from app.documents import routes  # noqa: E402,F401
