"""VAPID keys (RFC 8292) that sign every push: from the environment, else made once per instance.

`VAPID_PRIVATE_KEY` (base64url raw 32-byte key, PEM, or base64url DER) wins. Without
it the key lives in `<instance>/vapid_private.pem`, created atomically: the first
process to link its freshly written file into place wins, and every other process
(web instances, workers) reads that one, so they all sign with the same key.
"""
import base64
import os
import re
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid

KEY_FILE = "vapid_private.pem"
DEFAULT_SUBJECT = "mailto:coordinamento@raccolto.invalid"
# What push services accept as a VAPID subject (py_vapid checks the same shape).
_HTTPS_SUBJECT = re.compile(r"^https://[\w-]+(\.[\w-]+)+$")


def b64url(data):
    """Unpadded base64url, the encoding of every Web Push key."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _load(text):
    """A Vapid from a PEM, raw base64url or DER base64url private key."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        vapid = Vapid()
        vapid.private_key = serialization.load_pem_private_key(text.encode(), password=None)
        return vapid
    return Vapid.from_string(private_key=text)


def _from_instance_folder():
    """Read the instance key, creating it first if no process has yet."""
    folder = current_app.instance_path
    path = os.path.join(folder, KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".vapid-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            try:
                # link() refuses to replace an existing file, unlike rename(): the first wins.
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    with open(path, encoding="ascii") as key_file:
        return _load(key_file.read())


def vapid():
    """The application's Vapid signer (memoised per app)."""
    cache = current_app.extensions.setdefault("raccolto_vapid", {})
    if "key" not in cache:
        configured = current_app.config.get("VAPID_PRIVATE_KEY")
        cache["key"] = _load(configured) if configured else _from_instance_folder()
    return cache["key"]


def public_key():
    """The applicationServerKey for pushManager.subscribe(): the uncompressed P-256 point, base64url."""
    point = vapid().public_key.public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def subject():
    """The contact the push services see: VAPID_SUBJECT, else the https site, else a reserved .invalid mailbox."""
    configured = current_app.config.get("VAPID_SUBJECT")
    if configured:
        return configured
    base = current_app.config.get("PUBLIC_BASE_URL", "")
    return base if _HTTPS_SUBJECT.match(base) else DEFAULT_SUBJECT
