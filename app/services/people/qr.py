"""QR codes as inline SVG (vector: sharp on screen and in print)."""
import io

import qrcode
import qrcode.image.svg


def qr_svg(data, box_size=10, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M):
    """An <svg> element (no XML declaration) drawing `data` as a QR code."""
    qr = qrcode.QRCode(error_correction=error_correction, box_size=box_size, border=border,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(data)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer)
    svg = buffer.getvalue().decode()
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:].lstrip()
    return svg
