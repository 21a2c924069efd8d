"""A local stand-in for a browser's push service (FCM, Mozilla autopush) on 127.0.0.1.

It holds the subscriber's side of each subscription (a P-256 key pair and a
16-byte auth secret, as a browser would), verifies the VAPID JWT of every
request against the app's public key, decrypts the aes128gcm payload with
http_ece, and records what arrived. Tests choose the HTTP status it answers.
"""
import base64
import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_vapid(authorization, expected_key, audience):
    """Check an `Authorization: vapid t=<jwt>, k=<key>` header; returns the JWT claims or raises."""
    scheme, _sep, params = authorization.partition(" ")
    assert scheme.lower() == "vapid", f"scheme {scheme!r}"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == expected_key, "the k= key is not the app's VAPID public key"
    header_b64, claims_b64, signature_b64 = fields["t"].split(".")
    header = json.loads(unb64url(header_b64))
    assert header["alg"] == "ES256", header
    signature = unb64url(signature_b64)
    assert len(signature) == 64, "ES256 signatures are r || s, 64 bytes"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # InvalidSignature
    claims = json.loads(unb64url(claims_b64))
    assert claims["aud"] == audience, claims
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims  # RFC 8292: at most 24 h
    assert claims["sub"].startswith(("mailto:", "https://")), claims
    return claims


class FakePushService:
    """The HTTP server and what it has received."""

    def __init__(self, vapid_public_key):
        self.vapid_public_key = vapid_public_key
        self.subscriptions = {}  # token -> (private key, auth secret)
        self.statuses = {}  # token -> HTTP status to answer (default 201)
        self.received = []  # dicts: token, message (decoded JSON), headers, claims
        self.errors = []  # requests that failed verification
        self.hits = {}  # token -> number of requests
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                service.handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def subscription(self, status=201):
        """A new browser-side subscription: the JSON a browser's PushSubscription.toJSON() gives."""
        token = secrets.token_urlsafe(12)
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        point = private.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
        with self.lock:
            self.subscriptions[token] = (private, auth)
            self.statuses[token] = status
        return {"endpoint": f"{self.base}/push/{token}", "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(auth)}}

    @staticmethod
    def token_of(subscription):
        return subscription["endpoint"].rsplit("/", 1)[1]

    def messages(self, subscription=None):
        """The decrypted messages, all or to one subscription."""
        with self.lock:
            return [r["message"] for r in self.received
                    if subscription is None or r["token"] == self.token_of(subscription)]

    def handle(self, request):
        token = request.path.rsplit("/", 1)[1]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self.lock:
            self.hits[token] = self.hits.get(token, 0) + 1
            keys, status = self.subscriptions.get(token), self.statuses.get(token, 404)
        try:
            assert keys is not None, "unknown subscription"
            assert request.headers["Content-Encoding"] == "aes128gcm", request.headers["Content-Encoding"]
            assert int(request.headers["TTL"]) >= 0
            claims = verify_vapid(request.headers["Authorization"], self.vapid_public_key, self.base)
            plain = http_ece.decrypt(body, private_key=keys[0], auth_secret=keys[1], version="aes128gcm")
            message = json.loads(plain.decode("utf-8"))
        except (AssertionError, KeyError, ValueError, InvalidSignature, http_ece.ECEException) as error:
            with self.lock:
                self.errors.append(f"{type(error).__name__}: {error}")
            request.send_response(400)
            request.end_headers()
            return
        if status < 300:
            with self.lock:
                self.received.append({"token": token, "message": message, "claims": claims,
                                      "headers": {k.lower(): v for k, v in request.headers.items()}})
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()


@pytest.fixture
def vapid_key(app, monkeypatch):
    """A fresh VAPID key in the config for this test (no key file in the instance folder)."""
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", pem)
    monkeypatch.setitem(app.extensions, "raccolto_vapid", {})
    return pem


@pytest.fixture
def fake_push(app, monkeypatch, vapid_key):
    """A running FakePushService that the app may send to (its host is allowed for this test)."""
    from app.services.notify.vapid import public_key

    monkeypatch.setitem(app.config, "PUSH_ENDPOINT_HOSTS", ("127.0.0.1",))
    service = FakePushService(public_key()).start()
    yield service
    service.stop()
