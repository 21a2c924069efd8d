"""Two workers sending one outbox of 200 mails at once deliver each exactly once (PostgreSQL and SQLite)."""
import threading
from collections import Counter

import pytest

from app import create_app
from app.extensions import db
from app.models import MailDelivery
from app.services.notify import mail
from tests.mail_helpers import smtp_server  # noqa: F401

MAILS = 200
WORKERS = 2


@pytest.fixture
def worker_app(app):
    """A second app on the same database and SMTP server: the other worker process."""
    second = create_app(dict(app.config))
    yield second
    with second.app_context():
        db.engine.dispose()


def test_two_workers_deliver_each_of_200_mails_exactly_once(app, worker_app, smtp_server):
    for n in range(MAILS):
        mail.queue("notification", f"persona{n}@example.org", "notification", subject=f"Avviso {n}",
                   title=f"Avviso {n}", body="Corpo", urgent=False, link="http://localhost/")
    db.session.commit()
    worker_app.config.update(MAIL_SERVER=app.config["MAIL_SERVER"], MAIL_PORT=app.config["MAIL_PORT"])
    start = threading.Barrier(WORKERS)
    results, errors = [], []

    def work(flask_app):
        """One worker: small batches, so both really take turns at the queue."""
        with flask_app.app_context():
            try:
                db.session.connection()
                start.wait(timeout=30)
                results.append(mail.send_pending(limit=10, max_batches=100))
            except Exception as error:  # surfaced below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(a,)) for a in (app, worker_app)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    received = Counter(rcpt for rcpts, _msg in smtp_server.messages for rcpt in rcpts)
    assert len(received) == MAILS and set(received.values()) == {1}
    assert sum(r.get("sent", 0) for r in results if r) == MAILS
    assert all(r and r.get("sent") for r in results), results  # both workers took a share
    db.session.commit()
    assert {row.status for row in db.session.scalars(db.select(MailDelivery))} == {"sent"}


def test_a_reset_link_opened_twice_at_once_works_once(app, worker_app, make_user):
    """Two tabs submit the same reset link at the same instant: one new password wins, the other is refused."""
    import re

    from app.services import ServiceError
    from app.services.notify import password_reset

    make_user("store", email="clerk@example.org")
    password_reset.request_reset("clerk@example.org", "127.0.0.1")
    token = re.search(r"/password/(\S+)", db.session.scalars(db.select(MailDelivery)).one().body_text).group(1)
    start = threading.Barrier(2)
    outcomes = []

    def use(flask_app, password):
        with flask_app.app_context():
            try:
                db.session.connection()
                start.wait(timeout=30)
                password_reset.reset_password(token, password)
                outcomes.append(("ok", password))
            except ServiceError as refusal:
                outcomes.append((refusal.code, password))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=use, args=(a, p)) for a, p in ((app, "prima-password-1"),
                                                                       (worker_app, "seconda-password-2"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(code for code, _p in outcomes) == ["ok", "used"]
    [winner] = [p for code, p in outcomes if code == "ok"]
    from app.services.people import accounts

    db.session.commit()  # end this test's read transaction: SQLite's snapshot predates the threads
    assert accounts.check_password(accounts.find_user_by_email("clerk@example.org"), winner)
