"""Camera scanning in Chromium: a fake camera films a crate label, scan.js reads it and registers the crate."""
import pytest
import qrcode
from PIL import Image

from app.extensions import db
from app.models import Crate
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.pickups_helpers import network, send, tokens  # noqa: F401

WIDTH, HEIGHT = 640, 480


def _label_video(path, text):
    """A one-frame Y4M (looped by Chromium) showing the QR code of `text` on white."""
    code = qrcode.make(text, box_size=6, border=4).convert("L")
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    with open(path, "wb") as handle:
        handle.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        handle.write(b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes())


@pytest.fixture
def camera_phone(playwright_instance, live_server, tmp_path, request):
    """A phone whose camera films the label named by the test (via `label_text`)."""
    video = tmp_path / "label.y4m"
    _label_video(video, request.getfixturevalue("label_text"))
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    context = browser.new_context(viewport=PHONE, locale="it-IT", is_mobile=True, has_touch=True,
                                  base_url=live_server, permissions=["camera"])
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()
    browser.close()


@pytest.fixture
def claimed(network):
    """A donation claimed by the network's volunteer."""
    donation = network.post(description="Verdure di stagione")
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    return donation


@pytest.fixture
def label_text(claimed, live_server):
    """What the second crate's printed QR code says: the crate page's public URL."""
    return f"{live_server}/c/{tokens(claimed)[1]}"


def test_camera_reads_a_label_and_registers_the_crate(camera_phone, browser_login, network, claimed, screenshot):
    browser_login(camera_phone, network.volunteer.email)
    camera_phone.goto(f"/volontario/ritiri/{claimed.id}/scansione")
    camera_phone.get_by_role("button", name="Apri la fotocamera").click()
    camera_phone.wait_for_selector("#scan-panel >> text=1 di 3 cassette scansionate", timeout=20000)
    screenshot(camera_phone, "pickup_camera_scan")
    db.session.rollback()  # see what the server committed
    crate = db.session.scalars(db.select(Crate).where(Crate.token == tokens(claimed)[1])).one()
    assert crate.picked_up_by_id == network.volunteer.id
    # jsQR is fetched only on this page, and only because this browser has no BarcodeDetector.
    assert camera_phone.evaluate("typeof jsQR") == "function"
    assert camera_phone.console_errors == []
