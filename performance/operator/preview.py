"""The operator's overlay: status text, shader errors, statistics and the camera preview.

Owns what is drawn for the operator on top of the picture in the window — never into the
stage (audience) image — and the operator's cv2 drawing: the newest source frame with
face boxes, ids and labels (rehearse mode), a status panel (with a cue list: the standby
cue, the GO key and the countdowns, operator/standby.py), and the "CAMERA LIVE" indicator
shown whenever a camera is the source (privacy: people can see they are being watched).
Images are RGBA uint8, row 0 at the top, rebuilt only when due (text 4x, preview 10x a
second) so the window uploads little per frame. Frames stay in memory; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from performance.core.types import BBox, Frame, Observations, RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.keys import KEYMAP, KeyAction
from performance.operator.standby import LineKind, cue_lines, go_key
from performance.show.status import SequencerStatus
from performance.venue import zones_editor as ze
from performance.venue.camera import CameraCalibration
from performance.venue.polygon import Point
from performance.venue.zones import Placement

FONT = cv2.FONT_HERSHEY_SIMPLEX
TEXT_EVERY_S = 0.25
PREVIEW_EVERY_S = 0.1
PREVIEW_WIDTH = 320
MARGIN = 12
WHITE = (235, 235, 235, 255)
RED = (255, 70, 60, 255)
AMBER = (255, 190, 60, 255)
IGNORE_COLOUR = (255, 70, 60, 255)  # ignore zones: red
PERFORMER_COLOUR = (60, 220, 255, 255)  # the performer zone: cyan
CROP_COLOUR = (255, 255, 255, 255)
GREY = (150, 150, 150, 255)  # a face in an ignore zone (the camera tool)
CAMERA_TOOL_KEYS = ("M mirror F flip R rotate | click point, Enter close, Bksp undo | "
                    "P performer C crop S save Esc quit")


def draw_zones(rgba: np.ndarray, camera: CameraCalibration,
               region: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
               drawing: tuple[Point, ...] = ()) -> None:
    """Draw the camera calibration's zones (ignore zones red and crossed, the performer zone
    cyan) on `rgba` in place. `region`: where the final (cropped) picture lies in the image,
    normalised (the whole image in the operator preview; the crop in the camera tool, which
    then draws the crop's frame too). `drawing`: the points of a zone being drawn."""
    h, w = rgba.shape[:2]
    x0, y0, x1, y1 = region

    def pixels(points: tuple[Point, ...]) -> np.ndarray:
        return np.array([[round((x0 + x * (x1 - x0)) * (w - 1)),
                          round((y0 + y * (y1 - y0)) * (h - 1))] for x, y in points],
                        dtype=np.int32)

    if region != (0.0, 0.0, 1.0, 1.0):
        cv2.rectangle(rgba, (round(x0 * (w - 1)), round(y0 * (h - 1))),
                      (round(x1 * (w - 1)), round(y1 * (h - 1))), CROP_COLOUR, 2)
    for zone in camera.ignore_zones:
        pts = pixels(zone)
        cv2.polylines(rgba, [pts], True, IGNORE_COLOUR, 2, cv2.LINE_AA)
        (ax, ay), (bx, by) = pts.min(axis=0).tolist(), pts.max(axis=0).tolist()
        cv2.line(rgba, (ax, ay), (bx, by), IGNORE_COLOUR, 1)
    if camera.performer_zone is not None:
        pts = pixels(camera.performer_zone)
        cv2.polylines(rgba, [pts], True, PERFORMER_COLOUR, 2, cv2.LINE_AA)
        left, top = pts.min(axis=0).tolist()
        cv2.putText(rgba, "performer", (left + 2, top + 14), FONT, 0.4,
                    PERFORMER_COLOUR, 1, cv2.LINE_AA)
    if drawing:
        pts = pixels(drawing)
        cv2.polylines(rgba, [pts], False, AMBER, 1, cv2.LINE_AA)
        for x, y in pts.tolist():
            cv2.circle(rgba, (x, y), 3, AMBER, -1)


@dataclass(frozen=True)
class OverlayLayer:
    """One overlay image: `image` None means "draw the last image of this key again"."""

    key: str
    image: np.ndarray | None
    position: tuple[int, int]  # top-left, output pixels from the top-left


def text_panel(lines: list[tuple[str, tuple[int, int, int, int]]], width: int) -> np.ndarray:
    """Lines of (text, RGBA colour) on a translucent dark panel, as RGBA uint8."""
    scale, thick, step = 0.45, 1, 18
    height = step * len(lines) + 10
    panel = np.zeros((height, width, 4), dtype=np.uint8)
    panel[:, :, 3] = 170
    for i, (text, colour) in enumerate(lines):
        cv2.putText(panel, text, (8, 18 + i * step), FONT, scale, colour, thick, cv2.LINE_AA)
    return panel


def camera_indicator() -> np.ndarray:
    """A small red dot with "CAMERA LIVE" (shown while a camera is the source)."""
    panel = np.zeros((26, 132, 4), dtype=np.uint8)
    panel[:, :, 3] = 140
    cv2.circle(panel, (13, 13), 7, RED, -1, cv2.LINE_AA)
    cv2.putText(panel, "CAMERA LIVE", (26, 18), FONT, 0.45, WHITE, 1, cv2.LINE_AA)
    return panel


def preview_image(
    frame: Frame, observations: Observations | None, emotion: RoomEmotion,
    width: int = PREVIEW_WIDTH, camera: CameraCalibration | None = None,
) -> np.ndarray:
    """The frame scaled to `width` with a box per observed face, labelled with the tracked
    face's id, emotion and valence/arousal when one is near it, and the camera
    calibration's zones when one is given (the frame is already turned and cut). RGBA."""
    h0, w0 = frame.image.shape[:2]
    height = max(1, round(h0 * width / w0))
    image = cv2.resize(np.ascontiguousarray(frame.image[:, :, :3]), (width, height),
                       interpolation=cv2.INTER_AREA)
    rgba = np.dstack([image, np.full((height, width), 255, np.uint8)])
    faces = observations.faces if observations is not None else ()
    for face in faces:
        x0, y0, x1, y1 = face.bbox
        p0 = (int(x0 * width), int(y0 * height))
        p1 = (int(x1 * width), int(y1 * height))
        cv2.rectangle(rgba, p0, p1, AMBER, 2, cv2.LINE_AA)
        cx, cy = face.center
        near = min(emotion.faces, default=None,
                   key=lambda f: (f.center[0] - cx) ** 2 + (f.center[1] - cy) ** 2)
        if near is not None and abs(near.center[0] - cx) < face.size:
            r = near.smoothed
            label = f"#{near.face_id} {r.label} v{r.valence:+.1f} a{r.arousal:+.1f}"
            cv2.putText(rgba, label, (p0[0], max(12, p0[1] - 5)), FONT, 0.4, AMBER, 1,
                        cv2.LINE_AA)
    if camera is not None and camera.has_zones:
        draw_zones(rgba, camera)
    cv2.rectangle(rgba, (0, 0), (width - 1, height - 1), WHITE, 1)
    return rgba


def camera_tool_image(image: np.ndarray, faces: list[tuple[BBox, Placement]],
                      state: ze.ZoneEditor, canvas: tuple[int, int]
                      ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """`essence calibrate camera`'s picture: the turned `image` fitted into `canvas` with
    the crop, the zones, the faces (final-picture boxes and placements) and the status;
    RGBA, and the picture's rectangle (x, y, w, h) in the canvas."""
    from performance.render.context import fit_rect  # (moderngl's module: only for the tool)

    cal = state.calibration
    h0, w0 = image.shape[:2]
    x, y, w, h = fit_rect((w0, h0), canvas)
    shown = cv2.resize(np.ascontiguousarray(image[:, :, :3]), (w, h),
                       interpolation=cv2.INTER_AREA)
    rgba = np.dstack([shown, np.full((h, w), 255, np.uint8)])
    crop = cal.crop
    drawing = state.points if state.drawing is not ze.Drawing.CROP else ()
    draw_zones(rgba, cal, (crop.x0, crop.y0, crop.x1, crop.y1), drawing)
    if state.drawing is ze.Drawing.CROP and state.points:
        px, py = state.points[0]
        cv2.circle(rgba, (round(px * (w - 1)), round(py * (h - 1))), 4, (255, 255, 255, 255), -1)
    colours = {Placement.AUDIENCE: AMBER, Placement.PERFORMER: PERFORMER_COLOUR,
               Placement.IGNORED: GREY}
    for (bx0, by0, bx1, by1), place in faces:
        ax, ay = ze.to_turned(crop, (bx0, by0))
        cx, cy = ze.to_turned(crop, (bx1, by1))
        cv2.rectangle(rgba, (round(ax * w), round(ay * h)), (round(cx * w), round(cy * h)),
                      colours[place], 2, cv2.LINE_AA)
    out = np.zeros((canvas[1], canvas[0], 4), dtype=np.uint8)
    out[:, :, 3] = 255
    out[y:y + h, x:x + w] = rgba
    for row, line in enumerate((state.status()[:120], CAMERA_TOOL_KEYS)):
        panel = text_panel([(line, (235, 235, 235, 255))], canvas[0])
        top = canvas[1] - (2 - row) * panel.shape[0]
        out[top:top + panel.shape[0]] = panel
    return out, (x, y, w, h)


class OperatorView:
    """Decides which overlay layers to draw each frame.

    `operator` False (the audience's window in `essence run`) shows only the camera
    indicator; True adds status, messages, statistics and (with `latest_frame`) the preview,
    and with `sequencer` (the cue list's status, asked when the text is due) the standby
    cue, the countdowns and the GO key of `keymap` (None: the default keys).
    """

    def __init__(
        self,
        *,
        operator: bool,
        camera_live: Callable[[], bool],
        latest_frame: Callable[[], Frame | None] | None = None,
        recording: Callable[[], str | None] | None = None,
        camera: CameraCalibration | None = None,
        sequencer: Callable[[], SequencerStatus] | None = None,
        keymap: Mapping[str, KeyAction] | None = None,
    ) -> None:
        self.sequencer = sequencer
        self.go_key = go_key(KEYMAP if keymap is None else keymap)
        self.recording = recording  # the "REC <file>" line while recording (recording/tap.py)
        self.camera = camera  # its zones are drawn on the preview
        self.operator = operator
        self.camera_live = camera_live
        self.latest_frame = latest_frame
        self._text_due = 0.0
        self._preview_due = 0.0
        self._last_text: list[tuple[str, tuple[int, int, int, int]]] | None = None
        self._preview_index: int | None = None
        self._indicator = camera_indicator()
        self._built: set[str] = set()

    def status_lines(self, info: OperatorInfo) -> list[tuple[str, tuple[int, int, int, int]]]:
        """The status panel's text for `info`."""
        show, crowd = info.show, info.emotion.crowd
        lines = [
            (f"act {show.act} {show.act_name} | {show.status}"
             f"{' | CHAOS' if show.chaos_mode else ''}{' | SHOW MODE' if show.locked else ''}"
             f" | t {info.now:6.1f}s", WHITE),
            (f"input: {info.input_status} | faces {len(info.emotion.faces)} | valence "
             f"{crowd.valence:+.2f} arousal {crowd.arousal:+.2f} chaos {crowd.chaos:.2f}",
             RED if info.input_status.lost else WHITE),
        ]
        if self.sequencer is not None:
            lines[1:1] = [(text[:110], AMBER if kind is LineKind.COUNTDOWN else WHITE)
                          for text, kind in cue_lines(self.sequencer(), self.go_key)]
        lines += [(text[:110], RED) for text in info.messages]
        rec = self.recording() if self.recording is not None else None
        if rec:
            lines.append((rec[:110], RED))
        if info.stats:
            lines.append((info.stats[:110], AMBER))
        return lines

    def layers(self, info: OperatorInfo, output_size: tuple[int, int]) -> list[OverlayLayer]:
        """The overlay layers for this frame (images only where they changed)."""
        width, height = output_size
        out: list[OverlayLayer] = []
        if self.camera_live():
            image = None if "camera" in self._built else self._indicator
            out.append(self._layer("camera", image,
                                   (width - self._indicator.shape[1] - MARGIN, MARGIN)))
        if not self.operator:
            return out
        text = None
        if info.now >= self._text_due:
            self._text_due = info.now + TEXT_EVERY_S
            lines = self.status_lines(info)
            if lines != self._last_text:
                self._last_text = lines
                text = text_panel(lines, min(640, width - 2 * MARGIN))
        out.append(self._layer("status", text, (MARGIN, MARGIN)))
        frame = self.latest_frame() if self.latest_frame is not None else None
        image = None
        if frame is not None and info.now >= self._preview_due \
                and frame.index != self._preview_index:
            self._preview_due = info.now + PREVIEW_EVERY_S
            self._preview_index = frame.index
            image = preview_image(frame, info.observations, info.emotion,
                                  min(PREVIEW_WIDTH, width // 3), camera=self.camera)
        if frame is not None or "preview" in self._built:
            shape = image.shape if image is not None else self._preview_shape
            self._preview_shape = shape
            out.append(self._layer("preview", image,
                                   (width - shape[1] - MARGIN, height - shape[0] - MARGIN)))
        return [layer for layer in out if layer.image is not None or layer.key in self._built]

    _preview_shape: tuple[int, ...] = (0, 0, 4)

    def _layer(self, key: str, image: np.ndarray | None, pos: tuple[int, int]) -> OverlayLayer:
        if image is not None:
            self._built.add(key)
        return OverlayLayer(key, image, pos)
