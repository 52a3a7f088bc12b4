"""Draws the add-in's icons (static/images/icons/excelflow-*.png and favicon): a white sales
funnel on a green rounded square. Plain Python, no artwork: run it again to regenerate."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

GREEN, WHITE = (0x1E, 0x7B, 0x4A), (0xFF, 0xFF, 0xFF)


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    """Colour at (x, y) in the unit square."""
    r = 0.18  # corner radius
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    half = 0.36 - 0.26 * (y - 0.2) / 0.45  # funnel: wide at the top, narrowing down
    in_cone = 0.2 <= y <= 0.65 and abs(x - 0.5) <= half
    in_stem = 0.65 <= y <= 0.82 and abs(x - 0.5) <= 0.08
    in_gap = any(abs(y - g) < 0.025 for g in (0.35, 0.5)) and 0.2 <= y <= 0.65
    colour = WHITE if (in_cone or in_stem) and not in_gap else GREEN
    return (*colour, 255)


def png(size: int) -> bytes:
    """The icon at ``size`` x ``size`` pixels as PNG bytes."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel((i + 0.5) / size, (j + 0.5) / size)) for i in range(size))
        for j in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    here = Path(__file__).resolve().parent / "static" / "images"
    for size in (16, 32, 64, 80):
        (here / "icons" / f"excelflow-{size}.png").write_bytes(png(size))
    (here / "favicon.png").write_bytes(png(32))
