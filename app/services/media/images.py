"""Decoding an uploaded image by its content and flattening it to plain sRGB pixels.

Shared by campaign covers (app/services/pages/images.py) and handover photos
(app/services/logistics/photos.py), which then write the pixels again as new
JPEG files: EXIF (GPS position, camera serial), comments and anything hidden
after the image data never reach the disk.
"""
import io
import warnings

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.services import ServiceError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000  # a 8000x5000 photo; larger is refused rather than decoded
MIN_SIDE = 200


def _not_an_image():
    return ServiceError("not_an_image", _("Il file caricato non è un'immagine: scegli una foto "
                                          "in formato JPEG, PNG o WebP."))


def _too_large():
    return ServiceError("too_large", _("L'immagine è troppo grande (più di 40 megapixel): "
                                       "riducila e riprova."))


def decode(data, max_pixels=MAX_PIXELS, min_side=MIN_SIDE):
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
            if image.width * image.height > max_pixels:
                raise _too_large()
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_an_image() from None
    if min(image.size) < min_side:
        raise ServiceError("too_small", _("L'immagine è troppo piccola: serve almeno %(n)d pixel per lato.",
                                          n=min_side))
    return image


def to_srgb(image):
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


def flatten(image):
    """Orientation from EXIF, sRGB colours, alpha on white (JPEG has none), and no metadata."""
    image = to_srgb(ImageOps.exif_transpose(image))
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
