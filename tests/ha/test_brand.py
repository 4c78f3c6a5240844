"""Brand images: the files, and the URL Home Assistant 2026.3+ serves them from.

Since 2026.3 a custom integration ships its own images in `brand/` (the brands repository
takes no custom icons any more). The `brands` integration serves them at
`/api/brands/integration/<domain>/<image>` (homeassistant/components/brands/__init__.py:
local files of a custom integration first, then the CDN), with fallbacks such as
dark_icon.png -> icon.png (components/brands/const.py).
"""

from __future__ import annotations

import struct
from http import HTTPStatus
from pathlib import Path

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

BRAND = Path(__file__).parents[2] / "custom_components" / "arabic_tts" / "brand"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_brand_images_follow_the_brands_rules() -> None:
    """icon 256x256 (@2x 512x512); logo 128 px high (@2x 256), wider than high."""
    assert png_size((BRAND / "icon.png").read_bytes()) == (256, 256)
    assert png_size((BRAND / "icon@2x.png").read_bytes()) == (512, 512)
    for name, height in (
        ("logo", 128),
        ("dark_logo", 128),
        ("logo@2x", 256),
        ("dark_logo@2x", 256),
    ):
        width, actual = png_size((BRAND / f"{name}.png").read_bytes())
        assert actual == height and width > height, name


async def test_home_assistant_serves_our_icon(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The frontend's URL for our icon answers with our file (newest Home Assistant)."""
    pytest.importorskip(
        "homeassistant.components.brands", reason="Home Assistant serves brand images since 2026.3"
    )
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for image, source in (
        ("icon.png", "icon.png"),
        ("icon@2x.png", "icon@2x.png"),
        ("logo.png", "logo.png"),
        ("dark_logo.png", "dark_logo.png"),
        ("dark_icon.png", "icon.png"),  # Home Assistant's fallback: our icon suits both
    ):
        response = await client.get(f"/api/brands/integration/arabic_tts/{image}")
        assert response.status == HTTPStatus.OK, image
        assert response.content_type == "image/png"
        assert await response.read() == (BRAND / source).read_bytes(), image
