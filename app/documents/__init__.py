"""Donation documents: DDT pages and PDFs, the donor's monthly summary, the charity's quarterly declaration."""
from app.documents.blueprint import bp  # noqa: F401
from app.documents import routes  # noqa: F401  (importing them adds their views)
