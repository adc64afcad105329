"""QR codes as inline SVG, for printed letters and posters."""

from __future__ import annotations

import segno


def qr_svg(url: str) -> str:
    """The QR code of ``url`` (error correction M) as an inline SVG without a fixed size."""
    return segno.make(url, error="m").svg_inline(scale=4, border=4, omitsize=True)
