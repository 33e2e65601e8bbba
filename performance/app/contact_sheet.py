"""The contact sheet of an offline render: a labelled grid of frames sampled through the show.

Owns which frames are sampled (evenly, first and last included), shrinking them (area
average, numpy only), the grid layout, the labels (a built-in 5x7 bitmap font, no font
files), and writing the PNG (zlib, atomic temp file + rename). Only rendered pictures go in
here, never a camera frame.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GAP = 6  # pixels between cells and around the grid
BACKGROUND = (12, 12, 16)
LABEL_COLOUR = (230, 230, 235)
MAX_THUMB_WIDTH = 320

# 5x7 glyphs; each row is 5 bits, the highest bit is the leftmost pixel.
_FONT: dict[str, tuple[int, ...]] = {
    " ": (0, 0, 0, 0, 0, 0, 0),
    "0": (14, 17, 19, 21, 25, 17, 14), "1": (4, 12, 4, 4, 4, 4, 14),
    "2": (14, 17, 1, 2, 4, 8, 31), "3": (31, 2, 4, 2, 1, 17, 14),
    "4": (2, 6, 10, 18, 31, 2, 2), "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14), "7": (31, 1, 2, 4, 8, 8, 8),
    "8": (14, 17, 17, 14, 17, 17, 14), "9": (14, 17, 17, 15, 1, 2, 12),
    "A": (14, 17, 17, 31, 17, 17, 17), "B": (30, 17, 17, 30, 17, 17, 30),
    "C": (14, 17, 16, 16, 16, 17, 14), "D": (28, 18, 17, 17, 17, 18, 28),
    "E": (31, 16, 16, 30, 16, 16, 31), "F": (31, 16, 16, 30, 16, 16, 16),
    "G": (14, 17, 16, 23, 17, 17, 15), "H": (17, 17, 17, 31, 17, 17, 17),
    "I": (14, 4, 4, 4, 4, 4, 14), "J": (7, 2, 2, 2, 2, 18, 12),
    "K": (17, 18, 20, 24, 20, 18, 17), "L": (16, 16, 16, 16, 16, 16, 31),
    "M": (17, 27, 21, 21, 17, 17, 17), "N": (17, 17, 25, 21, 19, 17, 17),
    "O": (14, 17, 17, 17, 17, 17, 14), "P": (30, 17, 17, 30, 16, 16, 16),
    "Q": (14, 17, 17, 17, 21, 18, 13), "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30), "T": (31, 4, 4, 4, 4, 4, 4),
    "U": (17, 17, 17, 17, 17, 17, 14), "V": (17, 17, 17, 17, 17, 10, 4),
    "W": (17, 17, 17, 21, 21, 21, 10), "X": (17, 17, 10, 4, 10, 17, 17),
    "Y": (17, 17, 17, 10, 4, 4, 4), "Z": (31, 1, 2, 4, 8, 16, 31),
    ".": (0, 0, 0, 0, 0, 12, 12), ":": (0, 12, 12, 0, 12, 12, 0),
    "-": (0, 0, 0, 31, 0, 0, 0), "/": (1, 1, 2, 4, 8, 16, 16),
    "_": (0, 0, 0, 0, 0, 0, 31), "#": (10, 10, 31, 10, 31, 10, 10),
    "(": (2, 4, 8, 8, 8, 4, 2), ")": (8, 4, 2, 2, 2, 4, 8),
    "?": (14, 17, 1, 2, 4, 0, 4),
}
GLYPH_W, GLYPH_H = 5, 7


def text_width(text: str, scale: int = 1) -> int:
    """Pixels `text` takes in the built-in font (one pixel of space between glyphs)."""
    return max(len(text) * (GLYPH_W + 1) - 1, 0) * scale


def draw_text(
    image: np.ndarray, x: int, y: int, text: str,
    colour: tuple[int, int, int] = LABEL_COLOUR, scale: int = 1,
) -> None:
    """Draw `text` (upper-cased; unknown characters as '?') into RGB `image` at (x, y)."""
    height, width = image.shape[:2]
    for k, char in enumerate(text.upper()):
        rows = _FONT.get(char, _FONT["?"])
        gx = x + k * (GLYPH_W + 1) * scale
        for r, bits in enumerate(rows):
            for c in range(GLYPH_W):
                if bits & (1 << (GLYPH_W - 1 - c)):
                    x0, y0 = gx + c * scale, y + r * scale
                    if x0 >= 0 and x0 + scale <= width and y0 >= 0 and y0 + scale <= height:
                        image[y0:y0 + scale, x0:x0 + scale] = colour


def fit_text(text: str, width: int, scale: int = 1) -> str:
    """`text` cut so it fits in `width` pixels."""
    keep = (width // scale + 1) // (GLYPH_W + 1)
    return text[: max(keep, 0)]


def shrink(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-average `rgb` (H, W, 3) down to (height, width, 3) uint8 (no upscaling)."""
    src_h, src_w = rgb.shape[:2]
    if (src_w, src_h) == (width, height):
        return rgb.copy()
    if width > src_w or height > src_h:
        raise ValueError(f"cannot shrink {src_w}x{src_h} to a larger {width}x{height}")
    rows = (np.arange(height) * src_h) // height
    cols = (np.arange(width) * src_w) // width
    row_n = np.diff(np.append(rows, src_h)).astype(np.float32)
    col_n = np.diff(np.append(cols, src_w)).astype(np.float32)
    acc = np.add.reduceat(rgb.astype(np.float32), rows, axis=0)
    acc = np.add.reduceat(acc, cols, axis=1)
    acc /= row_n[:, None, None] * col_n[None, :, None]
    return np.clip(np.rint(acc), 0, 255).astype(np.uint8)


def sample_indices(total_frames: int, count: int = 12) -> list[int]:
    """`count` frame indices spread evenly over the render, first and last included."""
    if total_frames <= 0:
        return []
    count = max(1, min(count, total_frames))
    if count == 1:
        return [0]
    return sorted({round(k * (total_frames - 1) / (count - 1)) for k in range(count)})


@dataclass(frozen=True)
class SheetLayout:
    """Where things go: `columns` x `rows` cells of a thumbnail and a label strip below it."""

    thumb: tuple[int, int]
    columns: int
    rows: int
    scale: int
    label_lines: int = 2

    @property
    def label_height(self) -> int:
        return self.label_lines * (GLYPH_H + 3) * self.scale + 2

    @property
    def cell(self) -> tuple[int, int]:
        return self.thumb[0], self.thumb[1] + self.label_height

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the whole sheet."""
        cw, ch = self.cell
        return self.columns * cw + (self.columns + 1) * GAP, self.rows * ch + (self.rows + 1) * GAP

    def origin(self, k: int) -> tuple[int, int]:
        """Top-left pixel (x, y) of cell `k`'s thumbnail."""
        cw, ch = self.cell
        col, row = k % self.columns, k // self.columns
        return GAP + col * (cw + GAP), GAP + row * (ch + GAP)

    @staticmethod
    def for_frames(frame_size: tuple[int, int], cells: int, columns: int = 4) -> SheetLayout:
        width, height = frame_size
        tw = min(width, MAX_THUMB_WIDTH)
        th = max(1, round(height * tw / width))
        columns = max(1, min(columns, cells))
        return SheetLayout(
            thumb=(tw, th), columns=columns, rows=math.ceil(cells / columns),
            scale=2 if tw >= 300 else 1,
        )


@dataclass
class ContactSheet:
    """Collects the sampled frames of a render as it runs, then builds and saves the grid."""

    total_frames: int
    frame_size: tuple[int, int]
    count: int = 12
    columns: int = 4
    indices: list[int] = field(init=False)
    layout: SheetLayout = field(init=False)
    _cells: dict[int, tuple[np.ndarray, tuple[str, ...]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.indices = sample_indices(self.total_frames, self.count)
        self.layout = SheetLayout.for_frames(self.frame_size, max(len(self.indices), 1),
                                             self.columns)

    def wants(self, index: int) -> bool:
        """Whether frame `index` is one of the sampled frames."""
        return index in self.indices and index not in self._cells

    def add(self, index: int, rgb: np.ndarray, label: tuple[str, ...]) -> None:
        """Keep a thumbnail of frame `index` and its label lines (only sampled frames)."""
        if index in self.indices:
            self._cells[index] = (shrink(rgb, *self.layout.thumb), label)

    def build(self) -> np.ndarray:
        """The sheet as (H, W, 3) uint8; cells not rendered stay background."""
        width, height = self.layout.size
        sheet = np.empty((height, width, 3), np.uint8)
        sheet[:] = BACKGROUND
        tw, th = self.layout.thumb
        scale = self.layout.scale
        for k, index in enumerate(self.indices):
            if index not in self._cells:
                continue
            thumb, lines = self._cells[index]
            x, y = self.layout.origin(k)
            sheet[y:y + th, x:x + tw] = thumb
            for n, line in enumerate(lines[: self.layout.label_lines]):
                ty = y + th + 3 + n * (GLYPH_H + 3) * scale
                draw_text(sheet, x + 1, ty, fit_text(line, tw - 2, scale), scale=scale)
        return sheet

    def save(self, path: Path) -> Path:
        """Write the sheet as a PNG at `path` (atomically)."""
        return write_png(path, self.build())


def encode_png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of `rgb` (H, W, 3) uint8."""
    height, width = rgb.shape[:2]
    raw = np.zeros((height, width * 3 + 1), np.uint8)  # filter byte 0 (None) per row
    raw[:, 1:] = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(height, width * 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b""))


def write_png(path: Path, rgb: np.ndarray) -> Path:
    """Write `rgb` as a PNG to `path` via a temp file beside it and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        tmp.write_bytes(encode_png(rgb))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
