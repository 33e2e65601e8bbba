"""The camera calibration tool (`essence calibrate camera`; its frame loop is
runtime/tool_window.py): the camera (or a video, for a rehearsal) in an operator window,
turned as the calibration being edited says, with the face boxes the real face model finds,
the crop and the zones drawn; keys and clicks edit it through venue/zones_editor.py, S saves
it atomically.

The window shows the whole turned picture (mirror, flip, rotation applied) letterboxed in the
tool's canvas, the crop as a white frame; faces are found in the final (cropped) picture,
as the show finds them, and boxed by where they fall: amber audience, cyan performer, grey
ignored. Frames stay in memory: nothing but the calibration file is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from performance.core.errors import OutputError
from performance.core.types import Frame
from performance.operator.preview import camera_tool_image
from performance.perception.worker import Detector
from performance.render.context import fit_rect
from performance.runtime.tool_window import Step, run_tool, tool_window
from performance.sources.base import FrameSource
from performance.sources.transform import transform_image
from performance.venue import zones_editor as ze
from performance.venue.camera import CameraCalibration, Crop, Rotation, save_camera
from performance.venue.zones import ZoneMap

if TYPE_CHECKING:
    from performance.adapters.window import InputEvent
    from performance.render.context import Compositor

FRAME_SECONDS = 1 / 30  # the tool's pacing (a file is shown at about its speed)


@dataclass(frozen=True)
class CameraSetupOptions:
    """What the tool edits, shows and where it saves."""

    calibration: CameraCalibration
    out: Path
    canvas: tuple[int, int] = (960, 720)


@dataclass(frozen=True)
class CameraSetupResult:
    calibration: CameraCalibration
    saves: int
    unsaved: bool


def turned(cal: CameraCalibration) -> CameraCalibration:
    """The calibration without its crop: the picture the tool shows."""
    return replace(cal, crop=Crop())


def raw(cal: CameraCalibration) -> CameraCalibration:
    """The calibration with no picture change (how the tool opens the source: it turns the
    frames itself, as the edits go)."""
    return replace(cal, mirror=False, flip=False, rotation=Rotation.NONE, crop=Crop())


def run_camera_setup(options: CameraSetupOptions, source: FrameSource, detector: Detector, *,
                     say: Callable[[str], None] = print) -> CameraSetupResult:
    """Open the tool's window and edit the calibration until Escape (or the window's close).
    `source` is read raw (no picture change); `detector` finds faces in the final picture."""
    tool = CameraTool(options, source, detector)
    with tool_window(options.canvas, title="Essence camera calibration") as (window, comp):
        saves = run_tool(tool, window, comp, frame_seconds=FRAME_SECONDS, say=say)
    return CameraSetupResult(tool.state.calibration, saves, tool.state.changed)


class CameraTool:
    """The camera tool's editing (venue/zones_editor.py) and picture, for `run_tool`."""

    def __init__(self, options: CameraSetupOptions, source: FrameSource,
                 detector: Detector) -> None:
        self.options, self.source, self.detector = options, source, detector
        self.state = ze.start(options.calibration)
        self.last: Frame | None = None
        self.boxes: list[tuple[float, float, float, float]] = []
        self.rect = (0, 0, *options.canvas)  # where the picture is on the canvas

    def key(self, key: str) -> Step:
        self.state, action = ze.press(self.state, key)
        return Step(action)

    def pointer(self, event: InputEvent, window: tuple[int, int]) -> None:
        if event.kind == "down":
            point = _picture_point(event.position, window, self.options.canvas, self.rect)
            if point is not None:
                self.state = ze.click(self.state, point)

    def poll(self) -> list[Step]:
        return []

    def save(self) -> tuple[bool, str]:
        try:
            save_camera(self.options.out, self.state.calibration)  # atomic
        except OutputError as exc:  # the old file is as it was; keep editing
            self.state = replace(self.state, note=f"NOT saved: {exc}")
            return False, self.state.note
        self.state = replace(ze.saved(self.state), note=f"saved {self.options.out}")
        return True, self.state.note

    def warn(self) -> str:
        return self.state.note

    def update(self, comp: Compositor) -> None:
        frame = self.source.read()
        if frame is not None:  # a new frame: faces found again (else the last ones kept)
            self.last = frame
            self.boxes = _faces(frame, self.state.calibration, self.detector)
        if self.last is None:
            return
        boxes = self.boxes
        places = ZoneMap.of(self.state.calibration).place(
            np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes]))
        image = transform_image(self.last.image, turned(self.state.calibration))
        canvas, self.rect = camera_tool_image(image, list(zip(boxes, places, strict=True)),
                                              self.state, self.options.canvas)
        comp.stage.texture.write(np.ascontiguousarray(canvas[::-1]).tobytes())


def _faces(frame: Frame, cal: CameraCalibration, detector: Detector
           ) -> list[tuple[float, float, float, float]]:
    """The boxes of the faces in the final (turned and cropped) picture of `frame`."""
    final = transform_image(frame.image, cal)
    return [face.bbox for face in detector.detect(replace(frame, image=final)).faces]


def _picture_point(position: tuple[int, int], window: tuple[int, int],
                   canvas: tuple[int, int], rect: tuple[int, int, int, int]
                   ) -> tuple[float, float] | None:
    """A window pixel as a normalised point of the shown (turned) picture; None outside."""
    ox, oy, ow, oh = fit_rect(canvas, window)
    cx = (position[0] - ox) * canvas[0] / ow
    cy = (position[1] - oy) * canvas[1] / oh
    x, y, w, h = rect
    px, py = (cx - x) / w, (cy - y) / h
    if not (0.0 <= px <= 1.0 and 0.0 <= py <= 1.0):
        return None
    return (px, py)
