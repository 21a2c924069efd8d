"""Fake-camera videos of crate labels for Chromium's --use-file-for-fake-video-capture.

A label is screenshotted from a real page (the printable label sheet) or, for a bare
test, drawn from the QR of PUBLIC_BASE_URL/c/<token>; the pictures are centred on a
grey "table" and written as a Y4M (YUV 4:2:0) video that cycles through them. Chromium
loops the file, so a camera shows every label again and again. Pillow only, no numpy.
"""
import io

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 480


def qr_label(url, code=""):
    """A plain label: the QR code of `url` with the short code under it (PIL image)."""
    import qrcode

    qr = qrcode.QRCode(border=4, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    if code:
        framed = Image.new("RGB", (image.width, image.height + 40), "white")
        framed.paste(image, (0, 0))
        ImageDraw.Draw(framed).text((20, image.height + 8), code, fill="black")
        image = framed
    return image


def screenshot_label(page, selector):
    """A screenshot of one label element of a rendered page (PIL image)."""
    return Image.open(io.BytesIO(page.locator(selector).first.screenshot())).convert("RGB")


def _frame(label):
    """The label held in front of the camera: scaled to fit, centred on a grey table."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), (150, 150, 150))
    scale = min((WIDTH - 80) / label.width, (HEIGHT - 60) / label.height)
    size = (max(1, int(label.width * scale)), max(1, int(label.height * scale)))
    resized = label.resize(size, Image.NEAREST if scale >= 1 else Image.LANCZOS)
    frame.paste(resized, ((WIDTH - size[0]) // 2, (HEIGHT - size[1]) // 2))
    return frame


def _yuv420(frame):
    """Planar Y, then U and V at half resolution (what a Y4M C420 frame holds)."""
    y, cb, cr = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return y.tobytes() + cb.resize(half, Image.BOX).tobytes() + cr.resize(half, Image.BOX).tobytes()


def write_y4m(path, labels, frames_each=10, fps=5):
    """Write a Y4M video showing each label (PIL image) for `frames_each` frames, in turn."""
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for label in labels:
            data = _yuv420(_frame(label))
            for _ in range(frames_each):
                out.write(b"FRAME\n")
                out.write(data)
    return str(path)
