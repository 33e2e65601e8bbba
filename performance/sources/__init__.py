"""Frame sources: camera, video file, still images, synthetic; the capture worker.

The only package that touches cv2.VideoCapture. Everything hands out RGB uint8 `Frame`s.
"""

from performance.sources.base import FrameSource, SourceLost
from performance.sources.camera import CameraInfo, CameraSource, list_cameras
from performance.sources.capture import CaptureWorker
from performance.sources.factory import (
    expand_inputs,
    is_image_path,
    is_video_path,
    looks_like_path,
    open_source,
)
from performance.sources.images import IMAGE_EXTENSIONS, ImageSource, load_rgb
from performance.sources.synthetic import SyntheticSource
from performance.sources.video import VIDEO_EXTENSIONS, VideoFileSource

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "CameraInfo",
    "CameraSource",
    "CaptureWorker",
    "FrameSource",
    "ImageSource",
    "SourceLost",
    "SyntheticSource",
    "VideoFileSource",
    "expand_inputs",
    "is_image_path",
    "is_video_path",
    "list_cameras",
    "load_rgb",
    "looks_like_path",
    "open_source",
]
