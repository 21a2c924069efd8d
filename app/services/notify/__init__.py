"""Notifications: the transactional outbox, texts, the in-app inbox, Web Push and its VAPID keys, mail.

Owns telling people: a subscriber of the engine writes notification rows in
the operation's transaction, and worker jobs send them, raise urgent alerts
and event reminders. Mail (mail.py) is a channel of the same outbox, with the
password reset, invitations by mail and the coordinators' daily digest.
The top area: it may read every other one, none imports it.
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people", "partners", "food", "ops", "logistics", "impact", "pages", "rota")
