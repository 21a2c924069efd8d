"""Photos at handover (issue 14): stored without metadata, attached once per op_id, visible only to the donation's people."""
import io
import os

import pytest
from PIL import Image

from app.extensions import db
from app.models import DonationPhoto, Operation
from app.services import ops
from app.services.logistics import photos
from tests.fixtures.pages import jpeg_with_exif, png_bytes
from tests.pickups_helpers import network, pick_up, send, tokens  # noqa: F401


def _upload(client, donation, stage="pickup", data=None, op_id=None, htmx=True, **fields):
    form = {"op_id": op_id or ops.new_op_id(), "stage": stage, "occurred_at": "",
            "photo": (io.BytesIO(data if data is not None else jpeg_with_exif()), "IMG_0001.JPG"), **fields}
    return client.post(f"/foto/donazioni/{donation.id}", data=form, content_type="multipart/form-data",
                       headers={"HX-Request": "true"} if htmx else {})


@pytest.fixture
def picked(network):
    """A donation picked up by the network's volunteer."""
    donation = network.post()
    pick_up(network, donation)
    return donation


def test_pickup_photo_is_stored_without_metadata_and_resized(app, client, login_as, network, picked):
    login_as(network.volunteer)
    response = _upload(client, picked)
    assert response.status_code == 200 and "Foto salvata" in response.get_data(as_text=True)
    row = db.session.scalar(db.select(DonationPhoto))
    assert (row.stage, row.taken_by_id, row.donation_id) == ("pickup", network.volunteer.id, picked.id)
    path = photos.path_of(row.key)
    assert path.startswith(app.config["UPLOAD_DIR"])
    with open(path, "rb") as handle:
        body = handle.read()
    stored = Image.open(io.BytesIO(body))
    assert stored.format == "JPEG" and max(stored.size) == 1600
    assert not stored.getexif() and "exif" not in stored.info and "icc_profile" not in stored.info
    assert b"FotoCamera" not in body and b"posizione di casa" not in body
    op = db.session.scalar(db.select(Operation).where(Operation.kind == "donation.photo"))
    assert op.result["photo_id"] == row.id and op.payload["photo"]["key"] == row.key


def test_the_same_photo_operation_sent_twice_is_attached_once(client, login_as, network, picked):
    login_as(network.volunteer)
    op_id = ops.new_op_id()
    assert _upload(client, picked, op_id=op_id).status_code == 200
    again = _upload(client, picked, op_id=op_id)
    assert again.status_code == 200 and "Foto già ricevuta" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(DonationPhoto)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation).where(Operation.op_id == op_id)) == 1


def test_people_of_the_donation_see_the_photo_and_nobody_else(client, login_as, make_user, network, picked):
    login_as(network.volunteer)
    _upload(client, picked)
    row = db.session.scalar(db.select(DonationPhoto))
    url = f"/foto/{row.id}.jpg"
    for user in (network.volunteer, network.clerk, network.charity_staff, network.coordinator):
        login_as(user)
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg", user
        assert "private" in response.headers["Cache-Control"]
    for user in (network.volunteer2, network.other_charity_staff, make_user("store")):
        login_as(user)
        assert client.get(url).status_code == 403, user
    assert client.get("/foto/999.jpg").status_code == 404


def test_anonymous_visitors_are_sent_to_login(app, network, picked, login_as):
    login_as(network.volunteer)
    client = app.test_client()
    login_as(network.volunteer, on=client)
    _upload(client, picked)
    row = db.session.scalar(db.select(DonationPhoto))
    assert app.test_client().get(f"/foto/{row.id}.jpg").status_code == 302


def test_a_volunteer_outside_the_donation_cannot_add_a_photo(client, login_as, network, picked):
    login_as(network.volunteer2)
    assert _upload(client, picked).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(DonationPhoto)) == 0


def test_charity_adds_photos_at_receipt_and_with_a_problem(client, login_as, network, picked):
    login_as(network.charity_staff)
    assert _upload(client, picked, stage="receipt").status_code == 200
    token = tokens(picked)[0]
    assert _upload(client, picked, stage="problem", data=png_bytes((600, 400)), token=token).status_code == 200
    rows = db.session.scalars(db.select(DonationPhoto).order_by(DonationPhoto.id)).all()
    assert [r.stage for r in rows] == ["receipt", "problem"] and rows[1].crate.token == token
    # The volunteer's stage is not the charity's; the refused photo leaves no file behind.
    before = set(os.listdir(photos.photo_dir()))
    assert _upload(client, picked, stage="pickup", data=png_bytes((700, 500), mode="RGB")).status_code == 409
    assert set(os.listdir(photos.photo_dir())) == before


def test_the_store_page_shows_the_photos(client, login_as, network, picked):
    login_as(network.volunteer)
    _upload(client, picked)
    row = db.session.scalar(db.select(DonationPhoto))
    login_as(network.clerk)
    assert f"/foto/{row.id}.jpg" in client.get(f"/negozio/donazioni/{picked.id}").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    (b"not an image at all", "non è un'immagine"),
    (b"", "Scegli o scatta una foto"),
    (png_bytes((50, 50), mode="RGB"), "troppo piccola"),
])
def test_bad_files_get_a_clear_message_and_store_nothing(client, login_as, network, picked, data, message):
    login_as(network.volunteer)
    if data == b"":
        response = client.post(f"/foto/donazioni/{picked.id}", data={"stage": "pickup", "op_id": ops.new_op_id()},
                               headers={"HX-Request": "true"})
    else:
        response = _upload(client, picked, data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.scalar(db.select(db.func.count()).select_from(DonationPhoto)) == 0


def test_photo_operation_validates_its_fields(network, picked):
    bad_key = {"key": "../../etc/passwd", "width": 10, "height": 10}
    missing = {"key": "0" * 64, "width": 10, "height": 10}
    assert send(network.volunteer, "donation.photo", donation_id=picked.id, stage="pickup",
                photo=bad_key)["code"] == "invalid"
    assert send(network.volunteer, "donation.photo", donation_id=picked.id, stage="pickup",
                photo=missing)["code"] == "invalid"
    assert send(network.volunteer, "donation.photo", donation_id=picked.id, stage="selfie",
                photo=missing)["code"] == "invalid"


def test_plain_form_upload_redirects_back_to_the_pickup(client, login_as, network, picked):
    login_as(network.volunteer)
    response = _upload(client, picked, htmx=False)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/volontario/ritiri/{picked.id}")
    assert os.listdir(photos.photo_dir())
