"""Compression from the app itself (Flask-Compress): Brotli or gzip, negotiated per request.

What is compressed: the text types of COMPRESS_MIMETYPES (HTML pages and fragments,
CSS, JavaScript, JSON, SVG, the manifest, CSV, iCalendar), 200 responses only,
above COMPRESS_MIN_SIZE bytes. Never: images, PDFs and other already compressed
files (their types are not in the list), partial (206) and 304 responses, or
anything that already carries a Content-Encoding: the open data files
(app/opendata/routes.py) keep their year's gzip ready, and send it through
`send_precompressed`, marked as Flask-Compress marks its own (gzip, not Brotli:
the parts can be joined only as deflate data).

The service worker never sees the encoding: the browser decodes before the
worker's fetch handler and the Cache API get the body, so what is cached and the
byte-for-byte update check of /sw.js compare decoded bytes, and the precache version
(app/pwa/shell.py) hashes the files on disk. What the encoding does change is the
ETag: Flask-Compress marks it (`"abc"` -> `"abc:br"`), so `_strip_encoding_from_etags`
takes the mark off If-None-Match before the views compare it with the ETag of the
plain body; /sw.js and the hashed static files then still answer 304 on revalidation.
"""
import re

from flask import current_app, request
from flask_compress import Compress
from werkzeug.http import is_resource_modified

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


def send_precompressed(etag, gzip_body, plain_body, mimetype):
    """A response for a view that keeps its body gzip-compressed: those bytes when the client takes gzip.

    `etag` is the plain text's; `gzip_body` and `plain_body` are callables, and
    only the one sent is called (neither for a 304). If-None-Match holding the
    ETag, marked or not, answers 304. The gzip variant carries Content-Encoding,
    Vary and the ETag marked ':gzip' as Flask-Compress sets them on its own, so
    Flask-Compress leaves it alone and revalidation works as for any page; a
    client without gzip gets the plain text (which Flask-Compress may Brotli).
    """
    use_gzip = request.accept_encodings["gzip"] > 0  # q > 0, `*` included
    response = current_app.response_class(mimetype=mimetype)
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{etag}:gzip" if use_gzip else etag)
    if not is_resource_modified(request.environ, etag=etag):
        response.status_code = 304
        return response
    if use_gzip:
        response.set_data(gzip_body())
        response.headers["Content-Encoding"] = "gzip"
    else:
        response.set_data(plain_body())
    return response


def init_app(app):
    """Bind Flask-Compress; call before other after_request hooks so it runs last on the way out."""
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    compress.init_app(app)
    app.before_request(_strip_encoding_from_etags)
