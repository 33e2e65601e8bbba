"""Still images (files and folders of photos) as a frame source.

Owns which files count as images, the order they are shown in, decoding them to RGB uint8
(grayscale, alpha and 16-bit images included; EXIF orientation applied), and the errors for
missing paths, corrupt files and folders without images.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from performance.core.errors import InputError
from performance.core.types import Frame
from performance.sources.base import FrameSource

IMAGE_EXTENSIONS: frozenset[str] = frozenset({
    ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff",
})


def is_image_name(path: Path) -> bool:
    """Whether the file name has one of IMAGE_EXTENSIONS (case-insensitive)."""
    return path.suffix.lower() in IMAGE_EXTENSIONS


def images_in_folder(folder: Path) -> list[Path]:
    """The image files directly inside `folder`, sorted by name (not recursive)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and is_image_name(p))


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
    if image.dtype == np.uint16:  # defensive: IMREAD_COLOR_* already gives 8-bit
        image = (image.astype(np.uint32) // 257).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise InputError(path, f"not a readable image (unsupported pixel type {image.dtype})")
    return np.ascontiguousarray(image)


def resolve_image_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files and folders into the list of image files, in the order given.

    A file is kept whatever its extension (decoding decides); a folder contributes its images
    sorted by name. InputError for a missing path or a folder without images.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = images_in_folder(path)
            if not found:
                exts = ", ".join(sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS))
                raise InputError(path, f"folder contains no images ({exts})")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise InputError(path, "is not a regular file or folder")
        else:
            raise InputError(path, "no such file or folder")
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
