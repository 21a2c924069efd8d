"""Media: decoding uploaded images by content and re-encoding them without metadata.

Owns the checks every upload shares (campaign covers in pages/, handover photos in
logistics/): Pillow decodes the bytes whatever the name or content type says,
refuses bombs and non-images, applies the EXIF orientation, converts to sRGB and
drops every piece of metadata. The lowest area beside people/: it imports none.
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ()
