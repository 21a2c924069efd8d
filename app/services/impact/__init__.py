"""Impact: figures (kg, meals, CO2e, value), operational health, periods, SVG charts, documents and PDFs.

Owns the DDT (issued by a subscriber of the engine inside the pickup
transaction), the donor's monthly summary and the charity's quarterly
declaration, and every aggregate the dashboard and open data show.
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people", "partners", "food", "ops")
