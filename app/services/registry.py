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
from app.services.impact import opendata  # noqa: F401  (the job that keeps the open data files' parts ready)
from app.services.notify import push, triggers  # noqa: F401  (the notification subscriber; push and alert jobs)
from app.services import rota  # noqa: F401  (the rota's kinds and its slot generation job)
from app.services.notify import rota as rota_notify  # noqa: F401  (the rota's notifications and reminders)
from app.services.notify import digest, mail, mail_channel, password_reset  # noqa: F401,E501  (mail outbox, channel hooks, digest and reset jobs)
from app.services.logistics import coldchain, photos, run  # noqa: F401  (issue 14: cold-chain job, photo and run kinds)
from app.services.ops import partners as partner_ops  # noqa: F401,E402  (agreement.* and charity.* kinds)
from app.services.notify import partners as partner_reminders  # noqa: F401,E402  (agreement reminders and expiry)
from app.services.notify import rota_digest  # noqa: F401,E402  (tomorrow's empty slots in the daily digest)
from app.services.people import counts  # noqa: F401,E402  (network counts kept exact on every flush)
