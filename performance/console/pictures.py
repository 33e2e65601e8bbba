"""Small pictures for the console: the stage's thumbnail and the opt-in camera preview.

Owns `Picture` (a small RGB image and when it was taken, on the show clock), the shared
blocks they cross from the render process to the console's (`PictureBlocks`, newest
wins, never waits: control.shared.SharedLatest), and `PictureSource`, the console's side.
The camera block exists only when the user opted in (`--console-camera`): without it no
camera pixel can leave the render process.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.context import SpawnContext

from performance.control.shared import SharedHandles, SharedLatest

PICTURE_CAPACITY = 256 * 1024  # bytes of one block: a 240x135 RGB thumbnail is 97 KB
THUMBNAIL_WIDTH = 240  # pixels across the stage's thumbnail and the camera preview
PICTURE_EVERY = 0.5  # seconds between two thumbnails the render process makes


class PictureKind(StrEnum):
    """Which picture (the values name them on the console's WebSocket)."""

    STAGE = "stage"  # what the audience sees
    CAMERA = "camera"  # the camera with face boxes (opt-in, 127.0.0.1 only)


@dataclass(frozen=True)
class Picture:
    """One small image: `rgb` is height x width x 3 bytes, row by row from the top."""

    width: int
    height: int
    rgb: bytes
    taken: float  # show-clock seconds


@dataclass(frozen=True)
class PictureBlocks:
    """The shared blocks (picklable at spawn); `camera` None unless the user opted in."""

    stage: SharedHandles
    camera: SharedHandles | None = None

    @classmethod
    def create(cls, ctx: SpawnContext, *, camera: bool) -> PictureBlocks:
        """New, empty blocks (the camera's only when `camera`)."""
        def block() -> SharedHandles:
            return SharedLatest.create(ctx, PICTURE_CAPACITY).handles

        return cls(block(), block() if camera else None)


class PictureSource:
    """The console's side: the newest picture of each kind (kept until a newer one)."""

    def __init__(self, blocks: PictureBlocks) -> None:
        self._readers = {PictureKind.STAGE: SharedLatest(blocks.stage)}
        if blocks.camera is not None:
            self._readers[PictureKind.CAMERA] = SharedLatest(blocks.camera)
        self._latest: dict[PictureKind, Picture] = {}

    @property
    def kinds(self) -> tuple[PictureKind, ...]:
        """The pictures this console may show."""
        return tuple(self._readers)

    def latest(self, kind: PictureKind) -> Picture | None:
        """The newest picture of `kind` (None before the first, or for a kind not shared)."""
        reader = self._readers.get(kind)
        if reader is not None:
            fresh, value = reader.take()
            if fresh and isinstance(value, Picture):
                self._latest[kind] = value
        return self._latest.get(kind)


class PictureSink:
    """The render process's side: writes each kind's newest picture (never waits)."""

    def __init__(self, blocks: PictureBlocks) -> None:
        self._writers = {PictureKind.STAGE: SharedLatest(blocks.stage)}
        if blocks.camera is not None:
            self._writers[PictureKind.CAMERA] = SharedLatest(blocks.camera)

    def wants(self, kind: PictureKind) -> bool:
        """Whether pictures of `kind` are shared at all (the camera only when opted in)."""
        return kind in self._writers

    def put(self, kind: PictureKind, picture: Picture) -> bool:
        """Share `picture`; False when the kind is not shared or it does not fit."""
        writer = self._writers.get(kind)
        return writer is not None and writer.put(picture)


def encode_jpeg(picture: Picture, quality: int = 80) -> bytes:
    """The picture as JPEG bytes (for the page; made in the console's process)."""
    import cv2
    import numpy as np

    rgb = np.frombuffer(picture.rgb, dtype=np.uint8).reshape(picture.height, picture.width, 3)
    ok, data = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"could not encode a {picture.width}x{picture.height} picture")
    return bytes(data)
