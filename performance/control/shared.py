"""`SharedLatest`: one picklable value in shared memory, newest wins (a seqlock, no lock).

Owns the block the render process writes the OSC child's view of the show into (the
status, the current visual's input ranges). One writer, one reader, in two processes: the
writer bumps the version to odd, copies the pickled bytes, then bumps it to even; the reader
takes the bytes only when it saw the same even version before and after copying. Neither
side ever waits for the other, and a writer that dies mid-copy leaves a version the reader
skips. Values larger than the block are refused (`put` returns False).
"""

from __future__ import annotations

import ctypes
import pickle
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from typing import Any

DEFAULT_CAPACITY = 64 * 1024


@dataclass(frozen=True)
class SharedHandles:
    """What crosses to the child at spawn: the data block and [version, length]."""

    data: Any  # ctypes.Array[ctypes.c_char] from RawArray
    header: Any  # ctypes.Array[ctypes.c_ulonglong] from RawArray


class SharedLatest:
    """The writer's and the reader's side of one shared value (see the module)."""

    def __init__(self, handles: SharedHandles) -> None:
        self.handles = handles
        self._seen = 0  # the version the reader took last

    @classmethod
    def create(cls, ctx: SpawnContext, capacity: int = DEFAULT_CAPACITY) -> SharedLatest:
        """A new, empty block in shared memory."""
        return cls(SharedHandles(ctx.RawArray(ctypes.c_char, capacity),
                                 ctx.RawArray(ctypes.c_ulonglong, 2)))

    @property
    def capacity(self) -> int:
        return len(self.handles.data)

    def put(self, value: object) -> bool:
        """Publish `value` (single writer); False, and nothing written, when too large."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > self.capacity:
            return False
        header = self.handles.header
        header[0] += 1  # odd: being written
        ctypes.memmove(self.handles.data, data, len(data))
        header[1] = len(data)
        header[0] += 1  # even: complete
        return True

    def take(self) -> tuple[bool, object]:
        """(True, value) when a complete value newer than the last taken is there, else
        (False, None); never waits (a value being written is taken next time)."""
        header = self.handles.header
        version = int(header[0])
        if version == self._seen or version % 2:
            return False, None
        size = int(header[1])
        data = ctypes.string_at(self.handles.data, min(size, self.capacity))
        if int(header[0]) != version:
            return False, None
        self._seen = version
        try:
            return True, pickle.loads(data)
        except Exception:  # a dead writer's torn bytes: skipped, the next value is whole
            return False, None
