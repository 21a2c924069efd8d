"""Cover images: checked by content, re-encoded at a few widths, metadata stripped.

Pillow decodes the upload (the file name and the browser's content type are
ignored); the pixels are then written again as new JPEG files, so EXIF (GPS
position, camera serial), comments and anything hidden after the image data
never reach the public site.
"""
import os
import secrets

from flask import current_app
from PIL import Image

from app.extensions import db
from app.models.page import UploadedImage
from app.services.media import images as media_images

WIDTHS = (480, 960, 1600)
MAX_PIXELS = media_images.MAX_PIXELS  # tests lower it here
JPEG_QUALITY = 82


def image_dir():
    """UPLOAD_DIR/images, created on first use."""
    path = os.path.join(current_app.config["UPLOAD_DIR"], "images")
    os.makedirs(path, exist_ok=True)
    return path


def decode(data):
    """Open `data` as an image or refuse it with an Italian message (see media.images.decode)."""
    return media_images.decode(data, max_pixels=MAX_PIXELS)


_flatten = media_images.flatten


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
