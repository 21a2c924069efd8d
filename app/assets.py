"""Static URLs with a content hash, so browsers and the service worker never mix versions."""
import hashlib
import os

from flask import current_app, url_for

_hashes = {}


def file_hash(filename):
    """Short SHA-256 of a static file's content (memoised per process)."""
    if filename not in _hashes:
        path = os.path.join(current_app.static_folder, filename)
        with open(path, "rb") as handle:
            _hashes[filename] = hashlib.sha256(handle.read()).hexdigest()[:10]
    return _hashes[filename]


def asset(filename):
    """url_for('static') plus ?v=<content hash>."""
    return url_for("static", filename=filename, v=file_hash(filename))
