"""Photos at handover: proof of the state of the food at pickup, at receipt and with a problem.

The phone resizes the photo and drops its metadata before upload (static/js/photo.js);
the server does both again (app/services/media/images.py) and writes the JPEG to
UPLOAD_DIR/photos/<sha256>.jpg. The operation `donation.photo` then attaches it to the
donation, so the photo is logged, idempotent by op_id (a photo sent twice from the
offline outbox is one row) and refused for people outside the donation.
"""
import hashlib
import io
import os
import re

from flask import current_app
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Crate, DonationPhoto
from app.models.run import PHOTO_STAGES
from app.services.media import images
from app.services.ops import Refused, handler
from app.services.ops.schemas import Id, Object, OpFields, Text
from app.services.people.tokens import normalise_token

KEY = re.compile(r"^[0-9a-f]{64}$")
JPEG_QUALITY = 82
MIN_SIDE = 120  # a phone photo resized on the device is far larger; smaller is not evidence
ON_THE_WAY = ("picked_up", "delivered", "received")


def photo_dir():
    """UPLOAD_DIR/photos, created on first use."""
    path = os.path.join(current_app.config["UPLOAD_DIR"], "photos")
    os.makedirs(path, exist_ok=True)
    return path


def path_of(key):
    """The file of a photo key (only well-formed keys: never a path from outside)."""
    if not KEY.match(key or ""):
        raise ValueError("bad photo key")
    return os.path.join(photo_dir(), f"{key}.jpg")


def prepare(data):
    """Check `data` by content, resize and strip it, write it once; returns {key, width, height}.

    ServiceError (Italian message) when it is not a usable image.
    """
    image = images.flatten(images.decode(data, min_side=MIN_SIDE))
    side = current_app.config.get("PHOTO_MAX_SIDE", 1600)
    if max(image.size) > side:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    body = out.getvalue()
    key = hashlib.sha256(body).hexdigest()
    target = path_of(key)
    if not os.path.exists(target):
        # Write then rename: a reader (or a second instance) never sees half a file.
        temporary = f"{target}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(body)
        os.replace(temporary, target)
    return {"key": key, "width": image.width, "height": image.height}


def _int(value, low, high):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


class PhotoFields(OpFields):
    """The fields of donation.photo (the stored file's key comes from the upload)."""

    donation_id: Id = None
    stage: Text = None
    photo: Object = None
    token: Text = None


@handler("donation.photo", fact=True, schema=PhotoFields)
def attach(ctx):
    """Attach a stored photo to a donation at a stage: the driver at pickup, the charity after."""
    stage = ctx.payload.get("stage")
    if stage not in PHOTO_STAGES:
        raise Refused("invalid", _("Fase della foto non valida: ritiro, ricezione o problema."), field="stage")
    photo = ctx.payload.get("photo")
    if not isinstance(photo, dict) or not KEY.match(str(photo.get("key") or "")):
        raise Refused("invalid", _("Manca la foto: scattala o sceglila di nuovo."), field="photo")
    width, height = _int(photo.get("width"), 1, 20000), _int(photo.get("height"), 1, 20000)
    if width is None or height is None or not os.path.exists(path_of(photo["key"])):
        raise Refused("invalid", _("La foto non è arrivata al server: inviala di nuovo."), field="photo")
    if stage == "pickup":
        ctx.require_role("volunteer", "coordinator")
    else:
        ctx.require_role("charity", "coordinator")
    donation = ctx.donation()
    if stage == "pickup":
        if not ctx.user.has_role("coordinator") and ctx.user.id not in (donation.claimed_by_id, donation.holder_id):
            raise Refused("not_claimer", _("Solo il volontario del ritiro può aggiungere la foto del ritiro."))
        if donation.status not in ("claimed",) + ON_THE_WAY:
            raise Refused("wrong_state", _("La foto del ritiro si aggiunge quando hai prenotato il ritiro."))
    else:
        ctx.require_org("charity", donation.recipient_id)
        if donation.status not in ON_THE_WAY:
            raise Refused("wrong_state", _("La foto alla ricezione si aggiunge quando la merce è in viaggio "
                                           "o arrivata."))
    crate = None
    token = normalise_token(str(ctx.payload.get("token") or ""))
    if token:
        crate = db.session.scalar(select(Crate).where(Crate.token == token, Crate.donation_id == donation.id))
        if crate is None:
            raise Refused("unknown_crate", _("Questa cassetta non è di questa donazione."), field="token")
    row = DonationPhoto(donation_id=donation.id, crate_id=crate.id if crate else None, stage=stage,
                        key=photo["key"], width=width, height=height, taken_by_id=ctx.user.id,
                        taken_at=ctx.occurred_at)
    db.session.add(row)
    db.session.flush()
    return {"donation_id": donation.id, "photo_id": row.id, "stage": stage}


def discard_unused(key):
    """Delete a stored file no photo row uses (its operation was refused): no orphan on disk."""
    if db.session.scalar(select(DonationPhoto.id).where(DonationPhoto.key == key).limit(1)) is None:
        try:
            os.remove(path_of(key))
        except (FileNotFoundError, ValueError):
            pass


def photos_of(donation, stage=None):
    """The photos of a donation (optionally of one stage), oldest first."""
    query = select(DonationPhoto).where(DonationPhoto.donation_id == donation.id)
    if stage:
        query = query.where(DonationPhoto.stage == stage)
    return db.session.scalars(query.order_by(DonationPhoto.taken_at, DonationPhoto.id).limit(50)).all()


def can_view(user, donation):
    """The donation's store staff, its driver, its charity's staff and coordinators see its photos."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("coordinator"):
        return True
    if user.id in (donation.claimed_by_id, donation.holder_id):
        return True
    store, charity = user.org_for("store"), user.org_for("charity")
    return bool((store is not None and store.id == donation.store_id)
                or (charity is not None and donation.recipient_id is not None and charity.id == donation.recipient_id))
