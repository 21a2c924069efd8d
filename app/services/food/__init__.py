"""Food: what may be donated (L. 166/2016 rules), the recipient proposal, crate labels, the custody timeline.

Owns the rules on a donation's content, shared by the store's form and the
engine's handlers; it reads donations but never changes their state (that is
ops/, which sits above it).
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people", "partners")
