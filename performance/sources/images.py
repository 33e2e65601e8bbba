"""Still images (files and folders of photos) as a frame source.

Owns which files count as images, the order they are shown in, decoding them to RGB uint8
(grayscale, alpha and 16-bit images included; EXIF orientation applied), and the errors for
missing paths, corrupt files and folders without images. One image that cannot be decoded
(corrupt, truncated, larger than OpenCV decodes) is reported once, naming it, and skipped: a
slideshow moves on to the next one; only a source with no readable image at all is an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from performance.core.errors import InputError
from performance.core.files import read_regular, reason
from performance.core.types import Frame
from performance.sources.base import FrameSource

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS: frozenset[str] = frozenset({
    ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff",
})
MAX_IMAGE_BYTES = 1 << 30
"""The largest image file read (1 GiB); OpenCV itself decodes at most 2^30 pixels."""


def is_image_path(path: str | Path) -> bool:
    """Whether the name has an image extension (jpg, jpeg, png, bmp, webp, tif, tiff)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def expand_paths(
    paths: Sequence[str | Path], accept: Callable[[Path], bool], none_found: str
) -> list[Path]:
    """Files and folders -> files, in the order given.

    A file is kept as given (decoding decides what it is); a folder contributes the files
    `accept` takes, sorted by name, not recursive; a folder with none is InputError
    `none_found`. A missing path is InputError naming it.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and accept(p))
            if not found:
                raise InputError(path, none_found)
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise InputError(path, "is not a regular file or folder")
        else:
            raise InputError(path, "no such file or folder")
    return files


def load_rgb(path: Path) -> np.ndarray:
    """Decode one image file to RGB uint8 (H, W, 3); InputError naming the file otherwise
    (unreadable, not a regular file, corrupt, or too large to decode)."""
    try:
        data = np.frombuffer(read_regular(path, limit=MAX_IMAGE_BYTES), dtype=np.uint8)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({reason(exc)})") from exc
    if data.size == 0:
        raise InputError(path, "not a readable image (the file is empty)")
    # IMREAD_COLOR_RGB: gray -> RGB, alpha dropped, 16-bit -> 8-bit, EXIF orientation applied.
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR_RGB)
    except cv2.error as exc:  # OpenCV asserts on a header it refuses (60000x60000 pixels)
        raise InputError(path, f"not a readable image ({_cv_reason(exc)})") from None
    except MemoryError:
        raise InputError(path, "not a readable image (too large to decode in memory)") from None
    if image is None or image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
        raise InputError(path, "not a readable image (corrupt or unsupported format)")
    return np.ascontiguousarray(image)


def _cv_reason(exc: cv2.error) -> str:
    text = str(exc)
    if "CV_IO_MAX_IMAGE_PIXELS" in text:
        return "too large: OpenCV decodes at most 2^30 pixels"
    detail = getattr(exc, "err", "") or text
    return " ".join(str(detail).split()) or "OpenCV could not decode it"


def resolve_image_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files and folders into the list of image files, in the order given.

    A file is kept whatever its extension (decoding decides); a folder contributes its images
    sorted by name. InputError for a missing path or a folder without images.
    """
    exts = ", ".join(sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS))
    files = expand_paths(paths, is_image_path, f"folder contains no images ({exts})")
    if not files:
        raise InputError("(no input)", "no image files given")
    return files


class ImageSource(FrameSource):
    """Still images, one frame each, decoded when read.

    `Frame.timestamp` is the index (stills are 1 s apart), `is_still` is True. At the end:
    stop, `loop` (start again) or `hold` (repeat the last image). The first readable image is
    decoded when the source opens, so a source with none (one corrupt file named alone, a
    folder of broken files) is an InputError naming it at once. Later, an image that cannot
    be decoded is logged once (named) and skipped; `skipped` lists them with the reason.
    """

    is_live = False

    def __init__(
        self, paths: Sequence[str | Path] | str | Path, *, loop: bool = False, hold: bool = False
    ) -> None:
        if loop and hold:
            raise ValueError("an image source can loop or hold at its end, not both")
        if isinstance(paths, str | Path):
            paths = [paths]
        self.paths = resolve_image_paths(paths)
        self.loop = loop
        self.hold = hold
        self.fps = 1.0
        self.frame_count = len(self.paths)
        self.name = self.paths[0].name if len(self.paths) == 1 else (
            f"{len(self.paths)} images from {self.paths[0].parent}"
        )
        self.skipped: dict[Path, str] = {}  # images that could not be decoded, and why
        self._pos = 0
        self._index = 0
        self._last: np.ndarray | None = None
        self._closed = False
        self._next: tuple[Path, np.ndarray] | None = self._decode_next(opening=True)

    def _decode_next(self, *, opening: bool = False) -> tuple[Path, np.ndarray] | None:
        """The next readable image from the current position (a looping source goes round;
        `opening`: the first pass only), skipping the ones that cannot be decoded (each
        reported once); None at the end. InputError when no image at all can be read."""
        failures = 0
        while failures < len(self.paths):
            if self._pos >= len(self.paths):
                if opening or not self.loop:
                    break
                self._pos = 0
            path = self.paths[self._pos]
            self._pos += 1
            try:
                return path, load_rgb(path)
            except InputError as exc:
                failures += 1
                if path not in self.skipped:
                    self.skipped[path] = exc.reason
                    if len(self.paths) > 1:
                        log.warning("%s; skipped", exc)
        if failures >= len(self.paths):
            raise self._none_readable()
        return None

    def _none_readable(self) -> InputError:
        if len(self.paths) == 1:
            path, why = next(iter(self.skipped.items()))
            return InputError(path, why)
        first, why = next(iter(self.skipped.items()))
        return InputError(self.paths[0].parent if len({p.parent for p in self.paths}) == 1
                          else first,
                          f"none of the {len(self.paths)} images can be read (first: "
                          f"{first.name}: {why})")

    def read(self) -> Frame | None:
        if self._closed:
            return None
        found, self._next = self._next, None
        if found is None:
            found = self._decode_next()
        if found is not None:
            path, image = found
            self._last = image
            self.size = (int(image.shape[1]), int(image.shape[0]))
            source = path.name
        elif self.hold and self._last is not None:
            image, source = self._last, self.paths[-1].name
        else:
            return None
        frame = Frame(
            image=image,
            timestamp=float(self._index),
            index=self._index,
            source=source,
            media_time=0.0,
            is_still=True,
        )
        self._index += 1
        return frame

    def close(self) -> None:
        self._closed = True
        self._last = None
        self._next = None
