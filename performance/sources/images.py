"""Still images (files and folders of photos) as a frame source.

Owns which files count as images, the order they are shown in, decoding them to RGB uint8
(grayscale, alpha and 16-bit images included; EXIF orientation applied), and the errors for
missing paths, corrupt files and folders without images.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from performance.core.errors import InputError
from performance.core.types import Frame
from performance.sources.base import FrameSource

IMAGE_EXTENSIONS: frozenset[str] = frozenset({
    ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff",
})


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
    """Decode one image file to RGB uint8 (H, W, 3); InputError naming the file otherwise."""
    try:
        data = np.fromfile(path, dtype=np.uint8)  # also works for non-ASCII paths
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if data.size == 0:
        raise InputError(path, "not a readable image (the file is empty)")
    # IMREAD_COLOR_RGB: gray -> RGB, alpha dropped, 16-bit -> 8-bit, EXIF orientation applied.
    image = cv2.imdecode(data, cv2.IMREAD_COLOR_RGB)
    if image is None or image.ndim != 3 or image.shape[2] != 3 or image.size == 0:
        raise InputError(path, "not a readable image (corrupt or unsupported format)")
    return np.ascontiguousarray(image)


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
    stop, `loop` (start again) or `hold` (repeat the last image). A corrupt image raises
    InputError naming it from read(); reading on continues with the next image.
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
        self._pos = 0
        self._index = 0
        self._last: np.ndarray | None = None
        self._closed = False

    def read(self) -> Frame | None:
        if self._closed:
            return None
        if self._pos >= len(self.paths):
            if self.loop:
                self._pos = 0
            elif not (self.hold and self._last is not None):
                return None
        if self._pos < len(self.paths):
            path = self.paths[self._pos]
            self._pos += 1
            image = load_rgb(path)  # may raise; the position has moved past the bad file
            self._last = image
            self.size = (int(image.shape[1]), int(image.shape[0]))
            source = path.name
        else:
            assert self._last is not None
            image, source = self._last, self.paths[-1].name
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
