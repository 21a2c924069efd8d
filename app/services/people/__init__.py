"""People: accounts, sign-up and invitations, login rate limits, organisations, tokens and QR codes.

Owns who someone is and what they belong to. The lowest area: it imports no
other area, and every other area may import it.
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ()
