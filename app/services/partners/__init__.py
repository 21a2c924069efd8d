"""Partners: agreements (convenzioni) with stores, charities and other bodies, charities' capacity and needs.

Owns what an organisation has signed and until when, and what a charity can
take and wants this week; the recipient proposal (food/) and the engine's
`donation.post` (ops/) read it. It changes nothing itself: the `agreement.*`
and `charity.*` operations in ops/partners.py do.
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people",)
