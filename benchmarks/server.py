"""A throwaway Raccolto (gunicorn + demo data) on a loopback port, for benchmarks."""
import contextlib
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(instance, database_url):
    env = dict(os.environ, INSTANCE_PATH=instance, RACCOLTO_ENV="development",
               SECRET_KEY="bench-secret", PYTHONPATH=ROOT)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def flask(args, env):
    subprocess.run([os.path.join(BIN, "flask"), "--app", "app", *args], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def running_app(database_url=None, workers=2, prepare=None):
    """Migrate and seed a fresh database, start gunicorn, yield the base URL."""
    with tempfile.TemporaryDirectory(prefix="raccolto-bench-") as instance:
        env = _env(instance, database_url)
        flask(["db", "upgrade"], env)
        flask(["seed"], env)
        if prepare:
            prepare(env)
        port = free_port()
        proc = subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--threads", "4", "--log-level", "warning", "app.wsgi:app"],
            cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            yield base, env
        finally:
            proc.terminate()
            proc.wait(10)


def login_cookie(base, email, password="raccolto-demo"):
    """Log in through the real form; return the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "email": email,
                                   "password": password}).encode()
    opener.open(base + "/login", data=data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_page(base, path, cookie=""):
    """Fail loudly if `path` does not answer 200 with this cookie (a benchmark of a redirect is worthless)."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(base + path, headers={"Cookie": cookie} if cookie else {})
    try:
        status = opener.open(request).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"benchmark setup: {path} answered {status}, not 200")
