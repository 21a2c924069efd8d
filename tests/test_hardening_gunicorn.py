"""gunicorn, run with the Makefile's flags, lets the app answer long request lines in Italian (issue 16)."""
import os
import pathlib
import re
import shlex
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _makefile_limits():
    """The --limit-* flags of `make run`, as the Makefile has them."""
    text = (ROOT / "Makefile").read_text()
    return re.findall(r"--limit-request-[a-z_]+ \d+", text)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port, target, header=""):
    """Send one raw GET; returns (status line, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n{header}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn serving app.wsgi with the Makefile's limits; yields its port, then stops it."""
    flags = [part for flag in _makefile_limits() for part in shlex.split(flag)]
    assert "--limit-request-line" in flags
    port = _free_port()
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path_factory.mktemp("gunicorn")), "DATABASE_URL": ""}
    process = subprocess.Popen([str(pathlib.Path(sys.executable).with_name("gunicorn")), "--bind",
                                f"127.0.0.1:{port}", "--workers", "1", *flags, "app.wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _attempt in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize("length", [9_000, 200_000])
def test_an_over_long_request_line_is_answered_in_italian(gunicorn, length):
    status, body = _get(gunicorn, "/?q=" + "a" * length)
    assert status.startswith("HTTP/1.1 414")
    assert "troppo lungo" in body


def test_a_long_header_within_gunicorns_limit_is_answered_in_italian(gunicorn):
    status, body = _get(gunicorn, "/", header="X-Lungo: " + "a" * 9_000 + "\r\n")
    assert status.startswith("HTTP/1.1 431") and "intestazioni troppo lunghe" in body
