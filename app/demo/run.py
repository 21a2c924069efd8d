"""Demo data for the driver's run (issue 14): the demo volunteer's day has several stops.

On top of the history (app/demo/history.py), the demo volunteer gets a chilled lot on
board since about an hour (the cold-chain clock runs), with a photo taken at pickup, and
one more pickup claimed for later today, so "Il mio giro" orders pickups and deliveries.
All through the operations, like the rest of the demo.
"""
import io
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.demo import history as demo_history
from app.extensions import db
from app.models import Organisation
from app.models.base import utcnow
from app.services import ops
from app.services.logistics import photos


def _crate_photo():
    """A plain picture of two crates of yogurt, as a phone would send it (JPEG bytes)."""
    image = Image.new("RGB", (1200, 900), (226, 232, 228))
    draw = ImageDraw.Draw(image)
    for left in (120, 640):
        draw.rectangle((left, 300, left + 440, 760), fill=(38, 110, 64), outline=(20, 60, 35), width=8)
        for row in range(3):
            for col in range(4):
                x, y = left + 30 + col * 100, 330 + row * 140
                draw.rectangle((x, y, x + 80, y + 110), fill=(250, 250, 245))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed_run(rng, now=None):
    """Give the demo volunteer a chilled lot on board (with a photo) and one more pickup today."""
    now = now or utcnow()
    cast = demo_history._cast()
    if not cast.stores or cast.demo_volunteer is None:
        return
    run = demo_history.History(rng, cast, now)
    volunteer = cast.demo_volunteer
    cold_charity = db.session.scalar(select(Organisation).where(
        Organisation.kind == "charity", Organisation.cold_storage.is_(True)).order_by(Organisation.id))
    chilled = run.post(*cast.stores[1 % len(cast.stores)], now - timedelta(minutes=100), hours=3,
                       lot=demo_history.LOTS[0 if cold_charity is None else 3], recipient=cold_charity,
                       posted_before=timedelta(hours=2))
    if chilled is not None:
        claimed, _at = run.claim(chilled, volunteer)
        if claimed is not None:
            picked_at = run.carry(chilled, volunteer, deliver=False)
            taken = photos.prepare(_crate_photo())
            ops.apply({"op_id": ops.new_op_id(), "kind": "donation.photo", "occurred_at": picked_at.isoformat(),
                       "donation_id": chilled.id, "stage": "pickup", "photo": taken},
                      volunteer, backfill=True, now=min(now, picked_at + timedelta(minutes=1)))
    later = run.post(*cast.stores[2 % len(cast.stores)], now + timedelta(hours=3), hours=2,
                     lot=demo_history.LOTS[0], posted_before=timedelta(hours=1))
    if later is not None:
        run.claim(later, volunteer)
