"""Quieting the native libraries' start-up chatter on stderr (MediaPipe's absl and TFLite,
LiteRT's XNNPACK line), which ignores Python's logging. Used only while a graph or an
interpreter is being made, never around per-frame work, so no other thread's log line is
lost. Set ESSENCE_MEDIAPIPE_LOGS=1 to see the chatter.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send the process's native stderr (file descriptor 2) to /dev/null inside the block."""
    if os.environ.get("ESSENCE_MEDIAPIPE_LOGS"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
