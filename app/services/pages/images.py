"""Cover images: checked by content, re-encoded at a few widths, metadata stripped.

Pillow decodes the upload (the file name and the browser's content type are
ignored); the pixels are then written again as new JPEG files, so EXIF (GPS
position, camera serial), comments and anything hidden after the image data
never reach the public site.
"""
import io
import os
import secrets
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.extensions import db
from app.models.page import UploadedImage
from app.services import ServiceError

WIDTHS = (480, 960, 1600)
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000  # a 8000x5000 photo; larger is refused rather than decoded
MIN_SIDE = 200
JPEG_QUALITY = 82


def image_dir():
    """UPLOAD_DIR/images, created on first use."""
    path = os.path.join(current_app.config["UPLOAD_DIR"], "images")
    os.makedirs(path, exist_ok=True)
    return path


def _not_an_image():
    return ServiceError("not_an_image", _("Il file caricato non è un'immagine: scegli una foto "
                                          "in formato JPEG, PNG o WebP."))


def _too_large():
    return ServiceError("too_large", _("L'immagine è troppo grande (più di 40 megapixel): "
                                       "riducila e riprova."))


def decode(data):
    """Open `data` as an image or refuse it with an Italian message."""
    if not data:
        raise ServiceError("empty", _("Il file è vuoto: scegli di nuovo la foto."))
    try:
        with warnings.catch_warnings():
            # A decompression bomb warning becomes an error: we refuse such files.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            probe.verify()
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise _not_an_image()
            if image.width * image.height > MAX_PIXELS:
                raise _too_large()
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_an_image() from None
    if min(image.size) < MIN_SIDE:
        raise ServiceError("too_small", _("L'immagine è troppo piccola: serve almeno %(n)d pixel per lato.",
                                          n=MIN_SIDE))
    return image


def _to_srgb(image):
    """Convert pixels from an embedded colour profile (e.g. a phone's Display P3) to sRGB."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        return ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                         ImageCms.createProfile("sRGB"), outputMode=image.mode
                                         if image.mode != "CMYK" else "RGB")
    except (ImageCms.PyCMSError, OSError):
        return image  # a broken profile: keep the pixels as they are


def _flatten(image):
    """Orientation from EXIF, sRGB colours, alpha on white (JPEG has none), and no metadata."""
    image = _to_srgb(ImageOps.exif_transpose(image))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    else:
        image = image.convert("RGB")
    # Pillow carries .info (EXIF, comment, ICC profile, XMP) into saved files: empty it.
    image.info = {}
    return image


def store(image, user=None):
    """Write `image` at the standard widths (never enlarged); add and return the row."""
    image = _flatten(image)
    key = secrets.token_hex(12)
    widths = sorted({min(w, image.width) for w in WIDTHS})
    folder = image_dir()
    height = image.height
    for width in widths:
        copy = image if width == image.width else image.resize(
            (width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        height = copy.height
        copy.info = {}  # pixels only: no EXIF, comment, ICC profile or XMP
        copy.save(os.path.join(folder, f"{key}-{width}.jpg"), "JPEG", quality=JPEG_QUALITY,
                  optimize=True, progressive=True)
    row = UploadedImage(key=key, widths=",".join(str(w) for w in widths), width=widths[-1],
                        height=height, created_by_id=getattr(user, "id", None))
    db.session.add(row)
    return row


def save_upload(file_storage, user=None):
    """Check an uploaded file by its content and store it; ServiceError when it is refused."""
    data = file_storage.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    return store(decode(data), user)
