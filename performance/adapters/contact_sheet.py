"""The contact sheet of an offline render: a labelled grid of frames sampled through the show.

Owns which frames are sampled (evenly, first and last included), the grid layout and the
labels; OpenCV shrinks the frames (area average), draws the labels (its built-in Hershey
font, no font files) and encodes the PNG, which is saved atomically (or to a complete temp
file that the render renames together with its video). Only rendered pictures
go in here, never a camera frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from performance.config import CONTACT_FRAMES
from performance.core.files import write_atomic, write_temp

GAP = 6  # pixels between cells and around the grid
BACKGROUND = (12, 12, 16)
LABEL_COLOUR = (230, 230, 235)
MAX_THUMB_WIDTH = 320
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.4  # at layout scale 1: capitals 9 px high
LINE_H = 14  # pixels per label line at layout scale 1 (ascent + descent + spacing)
_ASCENT = 11  # from a line's top to its baseline at layout scale 1


def shrink(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-average `rgb` (H, W, 3) down to (height, width, 3) uint8 (no upscaling)."""
    src_h, src_w = rgb.shape[:2]
    if width > src_w or height > src_h:
        raise ValueError(f"cannot shrink {src_w}x{src_h} to a larger {width}x{height}")
    return cv2.resize(np.ascontiguousarray(rgb, dtype=np.uint8), (width, height),
                      interpolation=cv2.INTER_AREA)


def fit_text(text: str, width: int, scale: int = 1) -> str:
    """`text` cut so it fits in `width` pixels at layout `scale`."""
    while text and cv2.getTextSize(text, FONT, FONT_SCALE * scale, scale)[0][0] > width:
        text = text[:-1]
    return text


def draw_label(image: np.ndarray, x: int, y: int, text: str, scale: int = 1) -> None:
    """Draw one label line of `text` into RGB `image`, its line box's top-left at (x, y)."""
    cv2.putText(image, text, (x, y + _ASCENT * scale), FONT, FONT_SCALE * scale,
                LABEL_COLOUR, scale, cv2.LINE_AA)


def sample_indices(total_frames: int, count: int = CONTACT_FRAMES) -> list[int]:
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
        return self.label_lines * LINE_H * self.scale + 2

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
    count: int = CONTACT_FRAMES
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
                ty = y + th + 2 + n * LINE_H * scale
                draw_label(sheet, x + 1, ty, fit_text(line, tw - 2, scale), scale=scale)
        return sheet

    def encode(self, path: Path) -> bytes:
        """The sheet as PNG bytes (`path` only names it in an error)."""
        ok, png = cv2.imencode(".png", cv2.cvtColor(self.build(), cv2.COLOR_RGB2BGR))
        if not ok:
            raise ValueError(f"{path}: OpenCV could not encode the contact sheet as PNG")
        return png.tobytes()

    def save_temp(self, path: Path) -> Path:
        """Write the PNG to a temp file beside `path`, complete and fsynced, and return it:
        `core.files.commit` puts it in place (so a render renames its video and its sheet
        only once both are whole). OutputError naming `path` if it cannot be written."""
        return write_temp(Path(path), self.encode(path))

    def save(self, path: Path) -> Path:
        """Write the sheet as a PNG at `path` (atomically: whole or not at all)."""
        write_atomic(Path(path), self.encode(path))
        return Path(path)
