"""Compression from the app itself (Flask-Compress): Brotli or gzip, negotiated per request.

What is compressed: the text types of COMPRESS_MIMETYPES (HTML pages and fragments,
CSS, JavaScript, JSON, SVG, the manifest, CSV, iCalendar), 200 responses only,
above COMPRESS_MIN_SIZE bytes. Never: images, PDFs and other already compressed
files (their types are not in the list), partial (206) and 304 responses, or
anything that already carries a Content-Encoding.

The service worker never sees the encoding: the browser decodes before the
worker's fetch handler and the Cache API get the body, so what is cached and the
byte-for-byte update check of /sw.js compare decoded bytes, and the precache version
(app/pwa/shell.py) hashes the files on disk. What the encoding does change is the
ETag: Flask-Compress marks it (`"abc"` -> `"abc:br"`), so `_strip_encoding_from_etags`
takes the mark off If-None-Match before the views compare it with the ETag of the
plain body; /sw.js and the hashed static files then still answer 304 on revalidation.
"""
import re

from flask import request
from flask_compress import Compress

compress = Compress()
_MARK = re.compile(r':(?:br|gzip|deflate|zstd)"')
# Flask-Compress's defaults plus the exports the pages offer (CSV, iCalendar).
MIMETYPES = ["text/html", "text/css", "text/plain", "text/xml", "text/javascript", "text/csv", "text/calendar",
             "application/javascript", "application/json", "application/manifest+json", "application/xml",
             "application/rss+xml", "application/atom+xml", "image/svg+xml"]


def _strip_encoding_from_etags():
    """Let If-None-Match carrying a compressed variant's ETag match the view's plain ETag."""
    value = request.environ.get("HTTP_IF_NONE_MATCH")
    if value and ":" in value:
        request.environ["HTTP_IF_NONE_MATCH"] = _MARK.sub('"', value)


def init_app(app):
    """Bind Flask-Compress; call before other after_request hooks so it runs last on the way out."""
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    compress.init_app(app)
    app.before_request(_strip_encoding_from_etags)
