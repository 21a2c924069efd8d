"""The mail blueprint: its URL prefix and the log line that says whether mail goes out.

Its views live in routes.py, which `__init__` imports.
"""
import logging

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/email")
log = logging.getLogger("raccolto.mail")


@bp.record_once
def _say_how_mail_goes(state):
    """Log at start whether mail is sent, kept in the local mailbox, or off (production without a server)."""
    config = state.app.config
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        log.error("MAIL_USE_TLS and MAIL_USE_SSL are both set: choose one (STARTTLS on 587, or SSL on 465)")
    if config.get("MAIL_SERVER"):
        log.info("mail: sent through %s:%s", config["MAIL_SERVER"], config["MAIL_PORT"])
    elif config.get("ENV_NAME") == "production":
        log.warning("mail is off: MAIL_SERVER is not set, so no email is sent (password reset, "
                    "invitations and email notifications wait in the outbox)")
    else:
        log.info("mail: no MAIL_SERVER, mails are kept in the local mailbox page (/email/posta)")
