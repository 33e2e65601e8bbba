"""The camera calibration tool's loop (`essence calibrate camera`): the camera (or a video, for
a rehearsal) in an operator window, turned as the calibration being edited says, with the
face boxes the real face model finds, the crop and the zones drawn; keys and clicks edit it
through venue/zones_editor.py, S saves it atomically.

The window shows the whole turned picture (mirror, flip, rotation applied) letterboxed in the
tool's canvas, the crop as a white frame; faces are found in the final (cropped) picture,
as the show finds them, and boxed by where they fall: amber audience, cyan performer, grey
ignored. Frames stay in memory: nothing but the calibration file is written.
"""

from __future__ import annotations

import contextlib
import time
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
from performance.sources.base import FrameSource
from performance.sources.transform import transform_image
from performance.venue import zones_editor as ze
from performance.venue.camera import CameraCalibration, Crop, Rotation, save_camera
from performance.venue.zones import ZoneMap

if TYPE_CHECKING:
    from performance.adapters.window import Window
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
    from performance.adapters.window import Window
    from performance.render.context import Compositor, context_from_current_window

    stack = contextlib.ExitStack()
    window = Window(options.canvas, hide_cursor=False,
                    title="Essence camera calibration")
    stack.callback(window.close)
    with stack:
        ctx = context_from_current_window()
        comp = Compositor(ctx, options.canvas, output=ctx.screen, composite=True)
        stack.callback(comp.release)
        comp.resize(window.size)
        return _edit(options, source, detector, window, comp, say)


def _edit(options: CameraSetupOptions, source: FrameSource, detector: Detector,
          window: Window, comp: Compositor, say: Callable[[str], None]) -> CameraSetupResult:
    from performance.adapters.window import QUIT, RESIZED

    state = ze.start(options.calibration)
    saves = 0
    last: Frame | None = None
    boxes: list[tuple[float, float, float, float]] = []
    rect = (0, 0, *options.canvas)
    while True:
        started = time.monotonic()
        actions: list[ze.Action] = []
        for event in window.input_events():
            if event.kind == QUIT:
                state, action = ze.press(state, "quit")
                actions.append(action)
            elif event.kind == RESIZED:
                comp.resize(window.size)
            elif event.kind == "key":
                state, action = ze.press(state, event.key)
                actions.append(action)
            elif event.kind == "down":
                point = _picture_point(event.position, window.size, options.canvas, rect)
                if point is not None:
                    state = ze.click(state, point)
        if ze.Action.SAVE in actions:
            try:
                save_camera(options.out, state.calibration)  # atomic
            except OutputError as exc:  # the old file is as it was; keep editing
                state = replace(state, note=f"NOT saved: {exc}")
            else:
                state = replace(ze.saved(state), note=f"saved {options.out}")
                saves += 1
            say(f"essence: {state.note}")
        if ze.Action.WARN in actions:
            say(f"essence: {state.note}")
        if ze.Action.QUIT in actions:
            break
        frame = source.read()
        if frame is not None:  # a new frame: faces found again (else the last ones kept)
            last = frame
            boxes = _faces(frame, state.calibration, detector)
        if last is not None:
            places = ZoneMap.of(state.calibration).place(
                np.array([((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes]))
            image = transform_image(last.image, turned(state.calibration))
            canvas, rect = camera_tool_image(image, list(zip(boxes, places, strict=True)), state,
                                   options.canvas)
            comp.stage.texture.write(np.ascontiguousarray(canvas[::-1]).tobytes())
        with comp.drawing():
            pass  # the stage target already holds the picture
        comp.begin()
        window.flip()
        time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - started)))
    return CameraSetupResult(state.calibration, saves, state.changed)


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
