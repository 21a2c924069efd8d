"""Signed agreement PDFs: checked by content (magic bytes and a parse with pypdf), size-limited, kept in UPLOAD_DIR.

Files are stored under UPLOAD_DIR/agreements as <sha256>.pdf: content-addressed,
so storing the same file twice (a retry, an offline replay) is harmless, and
the name in an operation cannot point outside that folder.
"""
import hashlib
import io
import logging
import os
import re

from flask import current_app
from flask_babel import gettext as _

from app.services import ServiceError

STORED_NAME = re.compile(r"^[0-9a-f]{64}\.pdf$")
log = logging.getLogger("raccolto.partners")


def folder():
    """Where agreement PDFs live (created on first use)."""
    path = os.path.join(current_app.config["UPLOAD_DIR"], "agreements")
    os.makedirs(path, exist_ok=True)
    return path


def max_bytes():
    return int(current_app.config.get("AGREEMENT_PDF_MAX_MB", 5) * 1024 * 1024)


def check_pdf(data):
    """Raise ServiceError unless `data` is a readable PDF within the size limit; returns its page count."""
    if not data:
        raise ServiceError("invalid", _("Scegli il file PDF della convenzione firmata."))
    if len(data) > max_bytes():
        raise ServiceError("file_too_large", _("Il file supera %(mb)s MB: scansionalo a una risoluzione più bassa.",
                                               mb=f"{current_app.config.get('AGREEMENT_PDF_MAX_MB', 5):g}"))
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise ServiceError("not_pdf", _("Il file non è un PDF (anche se il nome finisce in .pdf)."))
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = len(reader.pages)
    except Exception as error:  # noqa: BLE001  pypdf raises many kinds on a broken file; all mean "not a PDF"
        log.info("agreement upload refused: %s", error)
        raise ServiceError("not_pdf", _("Il PDF è danneggiato o non leggibile: esportalo di nuovo.")) from None
    if pages < 1:
        raise ServiceError("not_pdf", _("Il PDF non ha pagine."))
    return pages


def store(data):
    """Check and keep the PDF; returns its stored name (<sha256>.pdf)."""
    check_pdf(data)
    name = hashlib.sha256(data).hexdigest() + ".pdf"
    path = os.path.join(folder(), name)
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.part"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)  # atomic: a reader never sees half a file
    return name


def path_of(stored_name):
    """The path of a stored PDF, or None if the name is not one of ours or the file is gone."""
    if not STORED_NAME.match(stored_name or ""):
        return None
    path = os.path.join(folder(), stored_name)
    return path if os.path.exists(path) else None
