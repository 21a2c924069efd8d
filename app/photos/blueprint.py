"""The photos blueprint: handover photos of a donation, under /foto.

Its views live in routes.py, which `__init__` imports.
"""
from flask import Blueprint

bp = Blueprint("photos", __name__, url_prefix="/foto")
