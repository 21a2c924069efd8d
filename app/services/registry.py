"""Loads every module whose import registers something with the engine or the worker.

Operation kinds (`@handler`), subscribers of the engine (`SUBSCRIBERS`) and
worker jobs (`@job`) register themselves when their module is imported. The app
factory imports this module once, so every process (web, worker, tests, CLI)
has the same kinds, subscribers and jobs, in the same order, whichever views
it happens to load.
"""
from app.services import ops  # noqa: F401  (the engine and its donation kinds)
from app.services.impact import documents  # noqa: F401  (issues the DDT inside the pickup transaction)
from app.services.impact import rollups  # noqa: F401  (keeps the impact rollups exact, after the DDT)
from app.services.notify import push, triggers  # noqa: F401  (the notification subscriber; push and alert jobs)
