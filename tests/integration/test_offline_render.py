"""Integration tests of `essence render`: real EGL rendering, real MediaPipe on real clips,
real H.264/AAC files written by PyAV and read back with PyAV and OpenCV.

Renders are small (160x90, a few seconds) and shared between tests through module fixtures.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from performance.adapters.contact_sheet import BACKGROUND, GAP, LINE_H, shrink
from performance.adapters.video_writer import VideoWriter, audio_samples_for
from performance.cli import main
from performance.config import Settings
from performance.core.errors import InputError
from performance.core.types import RoomEmotion
from performance.runtime.offline import RenderJob, RenderReport, contact_sheet_path, render_offline
from performance.show.autopilot import Autopilot
from performance.show.frame import ShowFrame

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.gl]

SIZE = (160, 90)


def _decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def settings(face_model: Path) -> Settings:
    return Settings(face_model=str(face_model))


@pytest.fixture(scope="module")
def face_render(
    testdata: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> RenderReport:
    out = tmp_path_factory.mktemp("face") / "face.mp4"
    return render_offline(RenderJob(str(testdata / "single_face.mp4"), out, size=SIZE), settings)


@pytest.fixture(scope="module")
def scripted_render(tmp_path_factory: pytest.TempPathFactory) -> RenderReport:
    out = tmp_path_factory.mktemp("scripted") / "scripted.mp4"
    return render_offline(RenderJob("scripted", out, seconds=3, size=SIZE, fps=12))


# -- a real clip ---------------------------------------------------------------------------


def test_video_render_has_the_asked_frames_size_and_duration(face_render: RenderReport) -> None:
    out = face_render.output
    assert out.is_file() and face_render.frames == 72  # 72 frames at 30 fps = the clip's 2.4 s
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == SIZE
        assert stream.average_rate == 30
        assert float(stream.duration * stream.time_base) == pytest.approx(2.4, abs=1e-6)
        assert not container.streams.audio
    frames = _decode(out)
    assert len(frames) == 72 and frames[0].shape == (90, 160, 3)
    cap = cv2.VideoCapture(str(out))
    try:
        assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 72
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
        read = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            assert bgr.shape == (90, 160, 3)
            read += 1
        assert read == 72
    finally:
        cap.release()


def test_report_shows_the_face_was_seen(face_render: RenderReport) -> None:
    (act,) = face_render.acts  # 2.4 s stays inside the first act
    assert act.act == 1 and act.name == "essence module"
    assert act.frames == 72
    assert act.max_faces == 1
    # a track is confirmed after 3 hits: all frames but the first two show the face
    assert act.frames_with_faces >= 68
    assert face_render.source_frames == 72  # every clip frame went through the face model
    assert face_render.render_fps > 0 and face_render.elapsed > 0
    assert "faces: max 1" in face_render.summary()


def test_same_clip_renders_to_the_same_file(
    face_render: RenderReport, testdata: Path, settings: Settings, tmp_path: Path
) -> None:
    again = render_offline(
        RenderJob(str(testdata / "single_face.mp4"), tmp_path / "again.mp4", size=SIZE), settings
    )
    assert _sha(again.output) == _sha(face_render.output)
    assert _sha(again.contact_sheet) == _sha(face_render.contact_sheet)  # type: ignore[arg-type]


def test_picture_follows_the_audience(
    face_render: RenderReport, testdata: Path, settings: Settings, tmp_path: Path
) -> None:
    empty = render_offline(
        RenderJob(str(testdata / "no_face.mp4"), tmp_path / "empty.mp4", seconds=2.4, size=SIZE),
        settings,
    )
    assert empty.max_faces == 0
    with_face, without = _decode(face_render.output), _decode(empty.output)
    assert len(with_face) == len(without) == 72

    def diff(k: int) -> float:
        return float(np.abs(with_face[k].astype(np.int16) - without[k].astype(np.int16)).mean())

    # Same show, same clock: before the face is confirmed both pictures are the same...
    assert diff(0) < 1.0
    # ...once the face's emotion has come through, the visual is clearly different.
    late = [diff(k) for k in range(45, 72)]
    assert min(late) > 4.0 * max(diff(0), 0.25)


# -- the scripted audience and the CLI -------------------------------------------------------


def test_scripted_render_gives_exactly_the_asked_frames(scripted_render: RenderReport) -> None:
    assert scripted_render.frames == 36
    assert len(_decode(scripted_render.output)) == 36
    assert scripted_render.max_faces == 3


def test_cli_render_and_determinism(
    scripted_render: RenderReport, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.mp4"
    rc = main(["render", "--input", "scripted", "--seconds", "3", "--fps", "12",
               "--size", "160x90", "--out", str(out), "--no-progress", "--no-sound"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} (36 frames" in printed and "contact sheet:" in printed
    assert _sha(out) == _sha(scripted_render.output)
    assert _files(tmp_path) == ["cli.contact.png", "cli.mp4"]  # no temp files left


def test_cli_render_of_a_cue_list_has_the_show_sound_and_repeats_itself(tmp_path: Path) -> None:
    """The default show's cue list with AutoGo and the synth's AAC track, twice."""
    import av

    outs = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for out in outs:
        assert main(["render", "--input", "scripted", "--seconds", "4", "--fps", "10",
                     "--size", "96x54", "--out", str(out), "--no-progress",
                     "--cues", str(ROOT / "cues" / "neo_lumen.toml"), "--auto-go", "0.5",
                     "--contact-frames", "0"]) == 0
    assert _sha(outs[0]) == _sha(outs[1])
    with av.open(str(outs[0])) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        samples = sum(frame.samples for frame in container.decode(audio))
        rate = audio.codec_context.sample_rate
    assert abs(samples - 4 * rate) <= 2048  # an AAC priming frame at most


def test_visual_opens_the_show_and_no_sheet_is_written_on_request(tmp_path: Path) -> None:
    report = render_offline(
        RenderJob("scripted", tmp_path / "v.mp4", seconds=1, size=SIZE, fps=12,
                  visual="crowd_chaos", contact_frames=0)
    )
    assert [a.name for a in report.acts] == ["crowd chaos"]
    assert report.contact_sheet is None and _files(tmp_path) == ["v.mp4"]


def test_visual_holds_that_one_visual_through_the_render(tmp_path: Path) -> None:
    """`--visual` means the same as for a live run: the autopilot holds it (past the 24 s
    its programme would give it), one face, so crowd-chaos mode stays off."""
    report = render_offline(
        RenderJob("scripted", tmp_path / "v.mp4", seconds=30, size=SIZE, fps=2,
                  visual="enclave", scripted_faces=1, contact_frames=0), Settings(sound=False)
    )
    assert [(a.name, a.frames) for a in report.acts] == [("enclave", 60)]


def test_contact_sheet_is_a_grid_of_the_rendered_frames(face_render: RenderReport) -> None:
    path = face_render.contact_sheet
    assert path == contact_sheet_path(face_render.output) and path is not None
    assert path.name == "face.contact.png"
    sheet = cv2.imread(str(path), cv2.IMREAD_COLOR_RGB)
    assert sheet is not None
    label_h = 2 * LINE_H + 2  # two label lines under each 160x90 thumbnail
    assert sheet.shape == (3 * (90 + label_h) + 4 * GAP, 4 * 160 + 5 * GAP, 3)
    assert sheet.std() > 10  # not blank
    frames = _decode(face_render.output)
    samples = [round(k * 71 / 11) for k in range(12)]
    labels = []
    for k, index in enumerate(samples):
        x = GAP + (k % 4) * (160 + GAP)
        y = GAP + (k // 4) * (90 + label_h + GAP)
        cell = sheet[y:y + 90, x:x + 160].astype(np.int16)
        assert np.abs(cell - shrink(frames[index], 160, 90)).mean() < 4.0  # H.264 loss only
        label = sheet[y + 90:y + 90 + label_h, x:x + 160]
        assert (label.max(axis=2) > 200).sum() > 50  # the time/act text is drawn
        labels.append(label)
    assert all(not np.array_equal(a, b) for a, b in pairwise(labels))
    # the gaps between cells stay background: labels stay inside their cells
    gap_column = sheet[:, 160 + GAP:160 + 2 * GAP]
    assert (gap_column == BACKGROUND).all()


# -- the audio track ---------------------------------------------------------------------------


class Sine:
    """A stand-in for the audio engine: a 440 Hz tone, continuous across blocks."""

    sample_rate = 48000
    channels = 2

    def __init__(self) -> None:
        self.position = 0
        self.calls = 0

    def render(self, show: ShowFrame, emotion: RoomEmotion, samples: int) -> np.ndarray:
        t = (self.position + np.arange(samples)) / self.sample_rate
        self.position += samples
        self.calls += 1
        tone = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
        return np.stack([tone, tone], axis=1)


def _audio_of(path: Path) -> tuple[str, int, np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.time_base == Fraction(1, stream.rate)
        blocks = [f.to_ndarray() for f in container.decode(audio=0)]
        return stream.codec_context.name, int(stream.duration), np.concatenate(blocks, axis=1)


def test_audio_track_is_sample_accurate_aac(tmp_path: Path) -> None:
    sine = Sine()
    report = render_offline(
        RenderJob("scripted", tmp_path / "a.mp4", seconds=2.5, size=SIZE, fps=12,
                  contact_frames=0),
        audio=sine,
    )
    expected = round(30 / 12 * 48000)  # 30 frames at 12 fps
    assert report.frames == 30 and sine.calls == 30
    assert sine.position == report.audio_samples == expected
    codec, duration, samples = _audio_of(report.output)
    assert codec == "aac" and duration == expected
    # decoders drop the encoder delay; only the last AAC packet's padding may follow
    assert expected <= samples.shape[1] < expected + 1024
    spectrum = np.abs(np.fft.rfft(samples[0, 4800:4800 + 48000]))
    assert int(np.argmax(spectrum)) == 440  # 1 Hz bins over one second


def test_writer_fits_audio_to_an_ntsc_frame_count(tmp_path: Path) -> None:
    out = tmp_path / "ntsc.mp4"
    with VideoWriter(out, (64, 36), 29.97, audio_rate=44100) as writer:
        for k in range(7):
            writer.write_frame(np.full((36, 64, 3), 30 * k, np.uint8))
        writer.write_audio(np.zeros((100_000, 2), np.float32))  # too much: trimmed at close
    expected = audio_samples_for(7, Fraction(30000, 1001), 44100)
    assert expected == round(7 * 1001 / 30000 * 44100)
    codec, duration, _ = _audio_of(out)
    assert codec == "aac" and duration == expected
    assert len(_decode(out)) == 7


# -- bad input: a clear error naming the thing, nothing left behind ---------------------------


def _render_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    rc = main(["render", "--no-progress", "--seconds", "1", *args])
    assert rc == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--input", "scripted", "--visual", "nope"], "--visual: unknown visual 'nope'"),
        (["--input", "scripted", "--size", "161x90"], "--size: 161x90"),
        (["--input", "scripted", "--size", "abc"], "--size: expected WIDTHxHEIGHT"),
        (["--input", "scripted", "--fps", "0"], "--fps: must be"),
        (["--input", "scripted", "--fps", "-5"], "--fps: must be"),
        (["--input", "scripted", "--seconds", "0"], "--seconds: must be"),
        (["--input", "scripted", "--seconds", "-2"], "--seconds: must be"),
        (["--input", "0"], "live camera"),
    ],
)
def test_bad_options_fail_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    out = tmp_path / "show.mp4"
    err = _render_cli(tmp_path, capsys, *args, "--out", str(out))
    assert named in err
    assert _files(tmp_path) == []


def test_missing_input_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.mp4"
    err = _render_cli(tmp_path, capsys, "--input", str(missing), "--out", str(tmp_path / "o.mp4"))
    assert f"{missing}: no such file" in err
    assert _files(tmp_path) == []


def test_output_under_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    out = blocker / "show.mp4"
    err = _render_cli(tmp_path, capsys, "--input", "scripted", "--out", str(out))
    assert str(out) in err and "is a file, not a folder" in err
    assert _files(tmp_path) == ["blocker"]


def test_unwritable_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """/proc refuses new files even to root (CI runs as root, so folder modes would not)."""
    out = Path("/proc/self/show.mp4")
    err = _render_cli(tmp_path, capsys, "--input", "scripted", "--out", str(out))
    assert f"{out}: --out: cannot write here" in err


def test_failure_mid_render_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "show.mp4"
    out.write_bytes(b"the previous render")

    class Breaks(Autopilot):
        def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
            if now > 0.5:
                raise InputError("cue list", "broke half way")
            return super().tick(now, emotion)

    with pytest.raises(InputError, match="broke half way"):
        render_offline(RenderJob("scripted", out, seconds=2, size=SIZE, fps=12),
                       show_factory=lambda visuals: Breaks())
    assert out.read_bytes() == b"the previous render"
    assert _files(tmp_path) == ["show.mp4"]
