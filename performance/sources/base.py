"""The frame-source interface every input (camera, video file, stills, synthetic) implements.

A source hands out RGB uint8 `Frame`s one at a time from `read()`; `None` means it ended.
Sources are context managers and iterables. `SourceLost` marks a live source that stopped
delivering in the middle of a run (the capture worker reports it and reopens the source);
`SourceStalled`, one that is open but gives nothing new (the capture worker's watchdog).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator

from performance.core.closing import Closing
from performance.core.errors import InputError
from performance.core.types import Frame

log = logging.getLogger(__name__)


class SourceLost(InputError):
    """A source that was working stopped delivering frames (camera unplugged, stream broke).

    Not fatal: the capture worker reports it and retries opening the source.
    """


class SourceStalled(SourceLost):
    """A source that is open but gives nothing new: a read that does not return, or the
    same image again and again (a frozen driver). The input is then `stalled`, not `lost`;
    the capture worker abandons the source and opens it again."""


class FrameSource(Closing, ABC):
    """One stream of frames.

    Attributes every source sets:
      name        -- what the source is, for messages ("single_face.mp4", "camera 0 (...)")
      is_live     -- True for cameras: frames arrive in real time and cannot be paced
      fps         -- nominal frames per second, None when unknown
      frame_count -- frames in one pass of the media, None when unbounded or unknown
      size        -- (width, height) in pixels once known, else None
      end_note    -- why the source ended early (e.g. a truncated file), None if it did not
    """

    name: str = "source"
    is_live: bool = False
    fps: float | None = None
    frame_count: int | None = None
    size: tuple[int, int] | None = None
    end_note: str | None = None

    @abstractmethod
    def read(self) -> Frame | None:
        """The next frame, or None when the source has ended. May raise InputError."""

    @abstractmethod
    def close(self) -> None:
        """Release the device or file. Safe to call more than once."""

    def __iter__(self) -> Iterator[Frame]:
        while True:
            frame = self.read()
            if frame is None:
                return
            yield frame

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
