"""Compression from the app: Brotli or gzip by Accept-Encoding, never for compressed files, ETags still validate."""
import gzip

import brotli
import pytest

from app.assets import file_hash


def asset(name):
    """The hashed static URL app/assets.py builds (no request context needed here)."""
    return f"/static/{name}?v={file_hash(name)}"


def _get(client, path, encoding, **headers):
    return client.get(path, headers={"Accept-Encoding": encoding, **headers})


@pytest.mark.parametrize("encoding,expected", [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"),
                                               ("identity", None), ("", None)])
def test_pages_are_compressed_as_the_client_accepts(client, encoding, expected):
    plain = _get(client, "/", "identity").data
    response = _get(client, "/", encoding)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == expected
    assert "Accept-Encoding" in response.headers["Vary"] and "HX-Request" in response.headers["Vary"]
    body = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[expected](response.data)
    assert body == plain
    if expected:
        assert len(response.data) < len(plain) / 2


def test_static_text_files_are_compressed_and_keep_their_cache_lifetime(app, client):
    response = _get(client, asset("css/app.css"), "gzip, br")
    body = response.get_data()
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(body) == open(app.static_folder + "/css/app.css", "rb").read()
    assert "max-age=" in response.headers["Cache-Control"]


def test_images_are_never_compressed_again(client):
    response = _get(client, asset("icons/icon-192.png"), "gzip, br")
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.get_data()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_range_request_gets_the_plain_bytes(client):
    response = _get(client, asset("css/app.css"), "gzip, br", Range="bytes=0-9")
    assert response.status_code == 206 and "Content-Encoding" not in response.headers
    assert len(response.get_data()) == 10


@pytest.mark.parametrize("path", ["/sw.js", None])
def test_revalidation_with_the_compressed_etag_answers_304(client, path):
    """The worker script and hashed static files: the browser sends back the ETag of the br variant."""
    path = path or asset("js/app.js")
    first = _get(client, path, "gzip, br")
    first.get_data()
    etag = first.headers["ETag"]
    assert etag.endswith(':br"')
    again = _get(client, path, "gzip, br", **{"If-None-Match": etag})
    assert again.status_code == 304


def test_the_service_worker_script_decodes_to_the_same_bytes(client):
    """What the browser compares byte for byte is the decoded script: the same as uncompressed."""
    plain = _get(client, "/sw.js", "identity").data
    assert brotli.decompress(_get(client, "/sw.js", "br").data) == plain
