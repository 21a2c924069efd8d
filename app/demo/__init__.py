"""Demo data: an Italian province network that looks real. Only for an empty database."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from app.demo.network import DEMO_LOGINS, DEMO_PASSWORD  # noqa: F401  (the logins `make run` prints)

# Later features append callables (seed_<feature>(rng)) that build on the network.
SEEDERS = []


def _seed_history(rng):
    """Two months of donations in every state, made through the operations (app/demo/history.py)."""
    from app.demo.history import seed_history

    seed_history(rng)


SEEDERS.append(_seed_history)


def _seed_rota(rng):
    """Schedules, slots and sign-ups of the rota (app/demo/rota.py)."""
    from app.demo.rota import seed_rota

    seed_rota(rng)


SEEDERS.append(_seed_rota)


def _seed_mail(rng):
    """Confirmed addresses and the coordinator's digest (app/demo/mail.py)."""
    from app.demo.mail import seed_mail

    seed_mail(rng)


SEEDERS.append(_seed_mail)


def _seed_run(rng):
    """The demo volunteer's run: a chilled lot on board with a photo, another pickup today (app/demo/run.py)."""
    from app.demo.run import seed_run

    seed_run(rng)


SEEDERS.append(_seed_run)


def _seed_agreements(rng):
    """Signed agreements for every store and charity (app/demo/partners.py)."""
    from app.demo.partners import seed_agreements

    seed_agreements(rng)


def _seed_capacity(rng):
    """Charities' capacity, closures and needs (app/demo/partners.py)."""
    from app.demo.partners import seed_capacity

    seed_capacity(rng)


# Agreements go first: with AGREEMENTS_REQUIRED on, the history's donations need them.
SEEDERS.insert(0, _seed_agreements)
SEEDERS.append(_seed_capacity)


def is_empty():
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def seed(rng_seed=166):
    """Create the demo network and every registered feature's demo data; commits."""
    import random

    from app.demo.network import seed_network
    from app.demo.pages import seed_pages

    rng = random.Random(rng_seed)
    seed_network(rng)
    for seeder in SEEDERS + [seed_pages]:
        seeder(rng)
    db.session.commit()
