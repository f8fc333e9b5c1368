"""The join link as a QR code, drawn as inline SVG for the projector."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str) -> Markup:
    """An inline ``<svg>`` of ``url`` that scales with its box (a viewBox, no size).

    segno draws with presentation attributes only (no ``style``), which the CSP allows; the
    white background and four-module quiet zone keep it readable on any projector.
    """
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=1, omitsize=True, dark="#000", light="#fff", svgclass="qr-code")
    return Markup(svg)  # noqa: S704  (segno's own markup; the URL is encoded in modules)
