"""The camera calibration: the model, its file (saved, loaded back, refused with one line
naming file and key), the frame transform on a real image, and point-in-zone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage import data as skdata

from performance.core.types import FaceObservation, FaceRole, Observations
from performance.perception.zones import apply_zones
from performance.sources.images import ImageSource
from performance.sources.transform import CalibratedSource, transform_image, transformed_size
from performance.venue.calfile import CalibrationError, save_calibration
from performance.venue.camera import (
    CameraCalibration,
    Crop,
    Rotation,
    camera_body,
    load_camera,
    save_camera,
)
from performance.venue.zones import Placement, ZoneMap, inside

SQUARE = ((0.1, 0.1), (0.4, 0.1), (0.4, 0.4), (0.1, 0.4))
STAGE = ((0.6, 0.5), (0.9, 0.5), (0.9, 0.9), (0.6, 0.9))


def full_calibration() -> CameraCalibration:
    return CameraCalibration(device="2", width=1280, height=720, fps=30.0, mirror=True,
                             flip=False, rotation=Rotation.CW90, crop=Crop(0.1, 0.0, 0.9, 1.0),
                             ignore_zones=(SQUARE,), performer_zone=STAGE)


def test_save_then_load_gives_the_same_calibration(tmp_path: Path) -> None:
    path = tmp_path / "hall-camera.toml"
    cal = full_calibration()
    save_camera(path, cal)
    text = path.read_text()
    assert text.startswith("# Essence rig camera calibration") and 'kind = "camera"' in text
    assert load_camera(path) == cal
    empty = tmp_path / "empty.toml"
    save_calibration(empty, "camera", 1, {})
    assert load_camera(empty) == CameraCalibration()
    assert not CameraCalibration().changes_picture and cal.changes_picture


@pytest.mark.parametrize(("body", "message"), [
    ({"camera": {"width": "wide"}}, r"camera\.width: must be a whole number, got 'wide'"),
    ({"camera": {"fps": 1000}}, r"camera\.fps: = 1000 is outside \[0\.0, 240\.0\]"),
    ({"picture": {"rotation": 45}}, r"picture\.rotation: must be 0, 90, 180 or 270, got 45"),
    ({"picture": {"mirror": "yes"}}, r"picture\.mirror: must be true or false"),
    ({"picture": {"mirorr": True}}, r"picture\.mirorr: unknown key"),
    ({"crop": {"x0": 0.5, "x1": 0.52}}, r"crop\.x1: = 0\.52 must be at least 0\.05 right"),
    ({"zones": {"ignore": [[[0.1, 0.1], [0.2, 0.2]]]}},
     r"zones\.ignore\[1\]: must have at least 3 points, got 2"),
    ({"zones": {"ignore": [[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]]}},
     r"zones\.ignore\[1\]: encloses no area \(its points lie on one line\)"),
    ({"zones": {"ignore": [[[0.1, 0.1], [0.4, 0.4], [0.4, 0.1], [0.1, 0.4]]]}},  # a bow-tie
     r"zones\.ignore\[1\]: crosses itself \(the edge from point 1 to 2 crosses the one from "
     r"point 3 to 4\)"),
    ({"zones": {"ignore": [list(map(list, SQUARE)), [[0, 0], [1.5, 0], [1, 1]]]}},
     r"zones\.ignore\[2\]: point 2 \[1\.5, 0\.0\] is outside \[0\.0, 1\.0\]"),
    ({"zones": {"performer": "stage"}}, r"zones\.performer: must be a list of \[x, y\]"),
])
def test_bad_values_are_one_line_naming_file_and_key(tmp_path: Path, body: dict[str, object],
                                                      message: str) -> None:
    path = tmp_path / "bad-camera.toml"
    save_calibration(path, "camera", 1, body)
    with pytest.raises(CalibrationError, match=r"bad-camera\.toml: " + message) as exc:
        load_camera(path)
    assert "\n" not in str(exc.value)


def test_the_example_in_docs_venue_loads(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "venue.md").read_text()
    start = text.index("```toml\n# Essence rig camera") + len("```toml\n")
    path = tmp_path / "doc-camera.toml"
    path.write_text(text[start:text.index("```", start)])
    cal = load_camera(path)
    assert cal.mirror and cal.width == 1280 and len(cal.ignore_zones) == 1
    assert cal.performer_zone is not None


def test_another_kind_and_a_newer_schema_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "cam.toml"
    save_calibration(path, "projector", 1, {})
    with pytest.raises(CalibrationError, match=r"cam\.toml: kind: is not a camera calibration"):
        load_camera(path)
    save_calibration(path, "camera", 2, camera_body(full_calibration()))
    with pytest.raises(CalibrationError, match=r"cam\.toml: schema: is schema 2, newer"):
        load_camera(path)


def test_the_transform_moves_real_pixels_where_expected() -> None:
    image = skdata.astronaut()  # 512 x 512 RGB, a real photo
    image = np.ascontiguousarray(image[:, :384])  # not square: rotation shows in the shape
    h, w = image.shape[:2]
    assert transform_image(image, CameraCalibration()) is image
    mirrored = transform_image(image, CameraCalibration(mirror=True))
    assert np.array_equal(mirrored[:, 0], image[:, w - 1])
    flipped = transform_image(image, CameraCalibration(flip=True))
    assert np.array_equal(flipped[0], image[h - 1])
    turned = transform_image(image, CameraCalibration(rotation=Rotation.CW90))
    assert turned.shape[:2] == (w, h) and turned.flags.c_contiguous
    # clockwise: the image's bottom-left corner comes to the top-left
    assert np.array_equal(turned[0, 0], image[h - 1, 0])
    assert np.array_equal(turned[0, h - 1], image[0, 0])
    half = transform_image(image, CameraCalibration(rotation=Rotation.HALF))
    assert np.array_equal(half, image[::-1, ::-1])
    crop = CameraCalibration(crop=Crop(0.25, 0.5, 0.75, 1.0))
    cut = transform_image(image, crop)
    assert cut.shape[:2] == (h // 2, w // 2)
    assert np.array_equal(cut, image[h // 2:, w // 4:3 * w // 4])
    both = CameraCalibration(mirror=True, rotation=Rotation.CW270, crop=Crop(0.0, 0.0, 0.5, 1))
    out = transform_image(image, both)
    assert out.shape[:2] == (w, h // 2) == transformed_size((w, h), both)[::-1]
    assert np.array_equal(out, np.rot90(image[:, ::-1], k=1)[:, :h // 2])


@pytest.mark.parametrize("rotation", list(Rotation))
@pytest.mark.parametrize(("mirror", "flip"), [(False, False), (True, False), (False, True),
                                              (True, True)])
def test_every_turn_matches_mirror_then_flip_then_clockwise_turns(
        mirror: bool, flip: bool, rotation: Rotation) -> None:
    image = np.ascontiguousarray(skdata.astronaut()[:200, :300])
    expected = image[:, ::-1] if mirror else image
    expected = expected[::-1] if flip else expected
    expected = np.rot90(expected, k=-(int(rotation) // 90))
    cal = CameraCalibration(mirror=mirror, flip=flip, rotation=rotation)
    assert np.array_equal(transform_image(image, cal), expected)


def test_a_calibrated_source_turns_every_frame(tmp_path: Path) -> None:
    import cv2

    path = tmp_path / "astronaut.png"
    image = skdata.astronaut()[:, :300]
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    cal = CameraCalibration(rotation=Rotation.CW90)
    with CalibratedSource(ImageSource([path]), cal) as source:
        frame = source.read()
        assert frame is not None and frame.image.shape[:2] == (300, 512)
        assert source.size == (512, 300)
        assert np.array_equal(frame.image, np.rot90(image, k=-1))


def test_point_in_zone_and_placement() -> None:
    points = np.array([[0.2, 0.2], [0.5, 0.5], [0.7, 0.6], [0.05, 0.2], [0.4001, 0.2]])
    assert inside(points, SQUARE).tolist() == [True, False, False, False, False]
    concave = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 0.2), (0.0, 1.0))  # a notch
    assert inside(np.array([[0.5, 0.1], [0.5, 0.6], [0.9, 0.8]]), concave).tolist() == [
        True, False, True]
    zones = ZoneMap((SQUARE,), STAGE)
    assert zones.place(points) == [Placement.IGNORED, Placement.AUDIENCE, Placement.PERFORMER,
                                   Placement.AUDIENCE, Placement.AUDIENCE]
    over = ZoneMap((STAGE,), STAGE)  # an ignore zone wins over the performer's
    assert over.place(np.array([[0.7, 0.6]])) == [Placement.IGNORED]


def test_apply_zones_drops_ignored_faces_and_marks_the_performer() -> None:
    def face(x: float, y: float) -> FaceObservation:
        return FaceObservation(bbox=(x - 0.05, y - 0.05, x + 0.05, y + 0.05), blendshapes={})

    obs = Observations(timestamp=1.0, frame_index=3, source="t",
                       faces=(face(0.2, 0.2), face(0.5, 0.3), face(0.75, 0.7)))
    out = apply_zones(obs, ZoneMap((SQUARE,), STAGE))
    assert [f.center for f in out.faces] == [obs.faces[1].center, obs.faces[2].center]
    assert [f.role for f in out.faces] == [FaceRole.AUDIENCE, FaceRole.PERFORMER]
    assert apply_zones(obs, ZoneMap()) is obs


def test_the_file_s_device_resolution_and_fps_open_the_camera(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """open_source's dispatch (no camera on a test machine: CameraSource is replaced by a
    recorder of what it was asked)."""
    from performance.sources import factory

    asked: list[tuple[object, dict[str, object]]] = []

    def camera(spec: object, **kwargs: object) -> ImageSource:
        asked.append((spec, kwargs))
        path = tmp_path / "still.png"
        import cv2

        cv2.imwrite(str(path), skdata.astronaut()[:, :, ::-1])
        return ImageSource([path])

    monkeypatch.setattr(factory, "CameraSource", camera)
    cal = CameraCalibration(device="HD Webcam", width=1280, height=720, fps=25.0, mirror=True)
    source = factory.open_source(factory.DEFAULT_CAMERA, camera=cal)
    assert isinstance(source, CalibratedSource)  # the picture is turned
    assert asked[-1][0] == "HD Webcam"
    assert {k: asked[-1][1][k] for k in ("width", "height", "fps")} == {
        "width": 1280, "height": 720, "fps": 25.0}
    factory.open_source("2", camera=cal)  # the command line names another camera: it wins
    assert asked[-1][0] == 2 and asked[-1][1]["width"] == 1280
    factory.open_source("0", camera=CameraCalibration())  # no device in the file: camera 0
    assert asked[-1][0] == 0 and asked[-1][1]["width"] is None
