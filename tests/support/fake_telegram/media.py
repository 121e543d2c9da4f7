"""Just enough image decoding to give an uploaded photo its width and height."""

from __future__ import annotations

import struct

from .errors import bad_request

_JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, JPEG or GIF; anything else is refused as the platform does."""
    size = _png_size(data) or _gif_size(data) or _jpeg_size(data)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if (
        width <= 0
        or height <= 0
        or width + height > 10000
        or max(width, height) > 20 * min(width, height)
    ):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return size


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _gif_size(data: bytes) -> tuple[int, int] | None:
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    if data[:2] != b"\xff\xd8":
        return None
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:
            index += 1
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if marker in _JPEG_FRAME_MARKERS:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + segment_length
    return None
