"""A real SMTP server on loopback (aiosmtpd) for the mail tests, and helpers to read what it got.

The server can be told to answer a code (550, 451, ...) at RCPT TO for some
recipients, and it counts every message it accepted, with the RCPT it saw.
"""
import email
import email.policy
import re
import socket
import threading

import pytest
from aiosmtpd.controller import Controller


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """aiosmtpd handler: refuses the configured recipients, keeps every accepted message."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (rcpt list, email.message.EmailMessage)
        self.answers = {}  # address -> "550 5.1.1 ..." for RCPT TO
        self.rcpt_attempts = {}  # address -> times seen at RCPT TO

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Answer the configured code for this address, else accept it."""
        with self.lock:
            self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
            answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        """Keep the message, parsed."""
        parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                          policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def to(self, address):
        """The messages accepted for `address`."""
        with self.lock:
            return [msg for rcpts, msg in self.messages if address in rcpts]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A loopback SMTP server, with the app's MAIL_* settings pointing at it."""
    handler = RecordingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_REPLY_TO", "coordinamento@example.org")
    yield handler
    controller.stop()


def parts(message):
    """(plain text, html) of a received message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else None), (html.get_content() if html else None)


def link_in(text, path_prefix):
    """The first absolute link in `text` whose path starts with `path_prefix`, as a path."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s<\"']*)", text)
    return match.group(1) if match else None
