"""Static URLs with a content hash, so browsers and the service worker never mix versions."""
import hashlib
import os

from flask import current_app, has_request_context, request, url_for

_hashes = {}


def file_hash(filename):
    """Short SHA-256 of a static file's content (memoised per process)."""
    if filename not in _hashes:
        path = os.path.join(current_app.static_folder, filename)
        with open(path, "rb") as handle:
            _hashes[filename] = hashlib.sha256(handle.read()).hexdigest()[:10]
    return _hashes[filename]


_urls = {}


def asset(filename):
    """url_for('static') plus ?v=<content hash>, memoised per script root (a page asks for twenty)."""
    if not has_request_context():
        return url_for("static", filename=filename, v=file_hash(filename))
    key = (request.script_root, current_app.static_url_path, filename)
    if key not in _urls:
        _urls[key] = url_for("static", filename=filename, v=file_hash(filename))
    return _urls[key]
