"""A fixed pool of short sample events (grains, clicks) mixed into a block without allocation.

An event plays a precomputed table from start to end at a gain per side; it may start
anywhere inside a block and carries on into the next ones. When every slot is busy a new
event is dropped and counted, so the pool never grows.
"""

from __future__ import annotations

import numpy as np


class EventPool:
    """Up to `size` events playing at once into a stereo pair of buffers."""

    def __init__(self, size: int, max_block: int) -> None:
        self.size = size
        self._tables: list[np.ndarray | None] = [None] * size
        self._pos = [0] * size
        self._offset = [0] * size
        self._gl = [0.0] * size
        self._gr = [0.0] * size
        self._free = list(range(size))
        self._active: list[int] = []
        self._tmp = np.zeros(max_block)
        self.dropped = 0
        self.started = 0

    @property
    def active(self) -> int:
        """Events playing now."""
        return len(self._active)

    def start(self, table: np.ndarray, offset: int, gain_left: float, gain_right: float) -> bool:
        """Begin `table` at sample `offset` of the next block; False (counted) when full."""
        if not self._free:
            self.dropped += 1
            return False
        slot = self._free.pop()
        self._tables[slot] = table
        self._pos[slot] = 0
        self._offset[slot] = offset
        self._gl[slot] = gain_left
        self._gr[slot] = gain_right
        self._active.append(slot)
        self.started += 1
        return True

    def mix_into(self, left: np.ndarray, right: np.ndarray, frames: int) -> None:
        """Add this block's part of every event to left[:frames] and right[:frames]."""
        tmp = self._tmp
        i = 0
        while i < len(self._active):
            slot = self._active[i]
            table = self._tables[slot]
            assert table is not None
            start = self._offset[slot]
            pos = self._pos[slot]
            n = min(frames - start, table.shape[0] - pos)
            if n > 0:
                part = tmp[:n]
                np.multiply(table[pos:pos + n], self._gl[slot], out=part)
                np.add(left[start:start + n], part, out=left[start:start + n])
                np.multiply(table[pos:pos + n], self._gr[slot], out=part)
                np.add(right[start:start + n], part, out=right[start:start + n])
                pos += n
            self._pos[slot] = pos
            self._offset[slot] = max(0, start - frames)
            if pos >= table.shape[0]:
                self._tables[slot] = None
                self._active[i] = self._active[-1]
                self._active.pop()
                self._free.append(slot)
            else:
                i += 1
