"""Frames handed to another process through shared memory: newest wins, never a queue.

Owns the one-slot frame exchange between the capture thread (the writer, in the render's
process) and the perception process (the reader). The writer copies each frame into a
`SharedMemory` segment under a lock and bumps a sequence number; a frame nobody took before
the next one is simply overwritten, so latency cannot grow. The segment is made when the
first frame arrives, sized for it, and made again (under a new name) when a larger frame
comes; the reader attaches by name. No frame is ever written to disk: the segment lives in
memory (`/dev/shm`) and is unlinked when the writer closes.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import struct
from dataclasses import dataclass
from multiprocessing import shared_memory
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Lock, Semaphore

import numpy as np

from performance.core.mailbox import LatestSlot
from performance.core.types import Frame

log = logging.getLogger(__name__)

# header: seq, height, width, index, is_still, timestamp, media_time, captured, source length
_HEADER = struct.Struct("<qqqqqdddq")
_SOURCE_BYTES = 256
_DATA_AT = _HEADER.size + _SOURCE_BYTES
LOCK_WAIT_S = 0.05
"""Longest either side waits for the slot's lock (a reader killed mid-copy cannot stall
capture: the writer drops that frame and carries on)."""


@dataclass(frozen=True)
class SharedFrame:
    """A frame read out of the shared slot, with the sequence number it was written under."""

    seq: int
    frame: Frame


@dataclass(frozen=True)
class SlotHandles:
    """What the reading process needs to find the slot (picklable into a spawned child)."""

    lock: Lock  # guards the header, the data and the segment's name
    wake: Semaphore  # released (at most once pending) after each frame is written
    name: ctypes.Array[ctypes.c_char]  # the current segment's name

    @classmethod
    def make(cls, ctx: SpawnContext, name: bytes = b"") -> SlotHandles:
        """Fresh handles. Only semaphores, never an `Event` or `Condition`: a reader killed
        while waiting on a multiprocessing Condition leaves its `notify` blocked forever."""
        handles = cls(ctx.Lock(), ctx.BoundedSemaphore(1), ctx.RawArray(ctypes.c_char, 64))
        handles.name.value = name
        return handles


class SharedFrameSlot(LatestSlot[Frame]):
    """A `LatestSlot` of frames whose every `put` is also copied into shared memory.

    The render process keeps the newest frame for the operator's preview (`peek`); the
    perception process reads the copy with a `FrameReader` on `handles`. `written` counts
    frames copied in; `refused` those dropped because the lock stayed busy (a stuck reader).
    """

    def __init__(self, ctx: SpawnContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.handles = SlotHandles.make(ctx)
        self.written = 0
        self.refused = 0
        self._shm: shared_memory.SharedMemory | None = None

    def put(self, value: Frame) -> None:
        super().put(value)
        self.take(timeout=0)  # the local copy is only the preview's: a frame the perception
        # process never read is counted there (`PerceptionProcess.dropped`), not here
        image = np.ascontiguousarray(value.image, dtype=np.uint8)
        handles = self.handles  # read once: `renew` may swap them between two frames
        lock = handles.lock
        if not lock.acquire(timeout=LOCK_WAIT_S):
            self.refused += 1
            return
        try:
            need = _DATA_AT + image.nbytes
            if self._shm is None or self._shm.size < need:
                self._replace_segment(need, handles)
            buf = self._shm.buf if self._shm is not None else None
            assert buf is not None
            self.written += 1
            source = value.source.encode("utf-8", "replace")[:_SOURCE_BYTES]
            h, w = image.shape[:2]
            _HEADER.pack_into(buf, 0, self.written, h, w, value.index, int(value.is_still),
                              value.timestamp, value.media_time,
                              value.captured if value.captured is not None else np.nan,
                              len(source))
            buf[_HEADER.size:_HEADER.size + len(source)] = source
            view = np.ndarray(image.shape, np.uint8, buffer=buf, offset=_DATA_AT)
            view[...] = image
            del view
        finally:
            lock.release()
        with contextlib.suppress(ValueError):  # a wake is pending already
            handles.wake.release()

    def renew(self) -> SlotHandles:
        """New lock and wake-up for a new reader: a reader killed while it held the lock
        would otherwise hold it for ever. The segment (and its frame) stays."""
        self.handles = SlotHandles.make(self._ctx, self.handles.name.value)
        return self.handles

    def _replace_segment(self, size: int, handles: SlotHandles) -> None:
        """A new segment big enough for `size` bytes (called with the lock held)."""
        old = self._shm
        shm = self._shm = shared_memory.SharedMemory(create=True, size=max(size, 4096))
        assert shm.buf is not None
        _HEADER.pack_into(shm.buf, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0)
        handles.name.value = shm.name.encode()
        if old is not None:
            _release(old, unlink=True)

    def release(self) -> None:
        """Free the shared segment (once the reader has stopped)."""
        if self._shm is not None:
            _release(self._shm, unlink=True)
            self._shm = None


class FrameReader:
    """The perception process's side: the newest frame not read yet, copied out of the slot."""

    def __init__(self, handles: SlotHandles) -> None:
        self.handles = handles
        self.seen = 0
        self._shm: shared_memory.SharedMemory | None = None
        self._name = b""

    def read(self) -> SharedFrame | None:
        """The newest frame when it is newer than the last one read; else None."""
        if not self.handles.lock.acquire(timeout=LOCK_WAIT_S):
            return None
        try:
            name = self.handles.name.value
            if name and name != self._name:
                self._attach(name)
            buf = self._shm.buf if self._shm is not None else None
            if buf is None:
                return None
            seq, h, w, index, still, ts, media, captured, n = _HEADER.unpack_from(buf, 0)
            if seq == 0 or seq == self.seen:
                return None
            source = bytes(buf[_HEADER.size:_HEADER.size + n]).decode("utf-8", "replace")
            image = np.ndarray((h, w, 3), np.uint8, buffer=buf, offset=_DATA_AT).copy()
        finally:
            self.handles.lock.release()
        self.seen = seq
        frame = Frame(image=image, timestamp=ts, index=index, source=source, media_time=media,
                      is_still=bool(still), captured=None if np.isnan(captured) else captured)
        return SharedFrame(seq, frame)

    def _attach(self, name: bytes) -> None:
        self.close()
        self._shm = shared_memory.SharedMemory(name=name.decode(), create=False)
        self._name = name  # the resource tracker is the parent's (spawn shares it): the
        # segment stays registered once, and the writer's unlink unregisters it

    def close(self) -> None:
        if self._shm is not None:
            _release(self._shm, unlink=False)
            self._shm = None


def _release(shm: shared_memory.SharedMemory, *, unlink: bool) -> None:
    try:
        shm.close()
        if unlink:
            shm.unlink()
    except (BufferError, FileNotFoundError) as exc:  # a view still held, or already gone
        log.debug("shared frame segment %s: %s", shm.name, exc)
