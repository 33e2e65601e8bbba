"""OpenCV's own messages, and those of the FFmpeg inside it, kept off stderr.

The rig says in one line what is wrong with a file or a camera (`not a readable video (...)`,
`camera 7: cannot be opened`); OpenCV printed two lines of its own before it (`moov atom not
found`, `[ WARN:0] global cap.cpp:212 open VIDEOIO(FFMPEG): ...`), and a V4L2 warning for a
camera that is not there. `quiet_opencv()` is called once by the modules that open videos
and cameras (video.py, camera.py), before any is opened: OpenCV reads its FFmpeg log level
when it first opens a file. Set ESSENCE_OPENCV_LOGS=1 to see the messages again.
"""

from __future__ import annotations

import os

FFMPEG_QUIET = "-8"  # FFmpeg's AV_LOG_QUIET, read by OpenCV from OPENCV_FFMPEG_LOGLEVEL


def quiet_opencv() -> None:
    """Silence OpenCV's warnings and its FFmpeg's log (errors the rig reports itself)."""
    if os.environ.get("ESSENCE_OPENCV_LOGS"):
        return
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", FFMPEG_QUIET)
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
