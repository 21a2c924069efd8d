"""Render the app icons (PNG) from the brand mark in static/icons/favicon.svg.

Run by hand after changing the mark: `.venv/bin/python -m app.pwa.render_icons`.
Headless Chromium draws the SVG (the same engine that shows it in the app), so the
PNGs match the favicon exactly; Pillow then stores them as optimised PNGs.
The committed PNGs are what the app serves; nothing renders at run time.
"""
import io
import os
import re
import shutil

from PIL import Image

ICONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "static", "icons")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
GREEN = "#1d6b3f"

# (file, size, maskable): "any" icons keep the mark's rounded corners on a transparent
# background; maskable ones fill the square and shrink the artwork into the 80 % safe zone.
TARGETS = [("icon-192.png", 192, False), ("icon-512.png", 512, False),
           ("icon-maskable-192.png", 192, True), ("icon-maskable-512.png", 512, True),
           ("apple-touch-icon.png", 180, True)]


def _svg(maskable):
    with open(os.path.join(ICONS, "favicon.svg"), encoding="utf-8") as handle:
        svg = handle.read()
    if not maskable:
        return svg
    inner = re.sub(r"<rect[^>]*/>", "", svg.split(">", 1)[1].rsplit("</svg>", 1)[0], count=1)
    # The mark's drawing spans about 36 x 38 units; scaled by 0.86 around the centre it
    # sits well inside the maskable safe circle (radius 40 % of the side).
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
            f'<rect width="64" height="64" fill="{GREEN}"/>'
            f'<g transform="translate(32 33) scale(0.86) translate(-32 -31)">{inner}</g></svg>')


def render():
    """Write every PNG in TARGETS under static/icons/."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for name, size, maskable in TARGETS:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(
                "<!doctype html><html><body></body></html>")
            page.evaluate("""([svg, size]) => {
                document.documentElement.style.background = 'transparent';
                document.body.style.margin = '0';
                const img = new Image(size, size);
                img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
                document.body.appendChild(img);
                return img.decode();
            }""", [_svg(maskable), size])
            png = page.screenshot(omit_background=True, clip={"x": 0, "y": 0, "width": size, "height": size})
            page.close()
            image = Image.open(io.BytesIO(png)).convert("RGBA")
            if maskable:
                image = image.convert("RGB")  # maskable and Apple icons must be opaque
            image.save(os.path.join(ICONS, name), optimize=True)
            print(name, image.size, os.path.getsize(os.path.join(ICONS, name)), "bytes")
        browser.close()


if __name__ == "__main__":
    render()
