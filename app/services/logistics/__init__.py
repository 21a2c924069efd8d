"""Logistics: who carries what and when, read over the engine's state.

Owns the volunteer's open pickups and own pickups, the charity's incoming
deliveries, the coordinator's board and its flags. It changes nothing itself:
state changes go through ops/.
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people", "media", "partners", "food", "ops")
