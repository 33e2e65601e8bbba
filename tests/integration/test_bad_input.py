"""Faults injected into the real commands: a full disk, a read-only or device target, a huge
PNG, a TOML nested 100,000 deep, a FIFO or /dev/zero as a file, SIGTERM and SIGKILL in the
middle of a render or an analysis, a corrupt image in a folder, a corrupt calibration.

Each gives one line `essence: <file>: <what is wrong>` (exit 2; `essence check` lists a FAIL
and exits 1), never a traceback, never a hang, and never loses a file that was there.

The full disk is a small tmpfs mounted on a test folder (we can mount it when root, as CI
is); without that right, each write of the child past a per-file size limit fails instead
(RLIMIT_FSIZE: EFBIG where a disk gives ENOSPC), the same failure for the code under test.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from performance.cli import main
from performance.config import CALIBRATION, Settings
from performance.core.errors import ConfigError, InputError
from performance.emotion import mapping as mapping_module
from performance.runtime.check import run_check
from performance.runtime.pipeline import engine_from_settings
from performance.sources.images import ImageSource
from tests.integration.conftest import small_tmpfs

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SMALL = ("--size", "128x72", "--no-progress")


# -- helpers ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _model_env(face_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSENCE_FACE_MODEL", str(face_model))  # the children inherit it


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
            "MESA_SHADER_CACHE_DISABLE": "true"}


def essence(*args: str, preexec: Callable[[], None] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m performance ARGS` in its own interpreter."""
    return subprocess.run([sys.executable, "-m", "performance", *args], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=preexec)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "performance", *args], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def one_line(stderr: str, returncode: int, starts: str) -> str:
    """The one `essence: ...` line of a failed command (exit 2), starting with `starts`."""
    assert "Traceback" not in stderr, stderr
    mine = [line for line in stderr.splitlines() if line.startswith("essence: ")]
    assert returncode == 2 and len(mine) == 1, (returncode, stderr)
    assert mine[0].startswith(starts), mine[0]
    return mine[0]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)  # polling a child's files, not pacing the test


def partials(folder: Path, target: str) -> list[str]:
    return [n for n in names(folder) if n.startswith(f".{target}.") and "partial" in n]


@dataclass
class FullDisk:
    """A folder whose disk can be filled (tmpfs) or, without the right to mount one, whose
    child processes may write only `limit` bytes per file (RLIMIT_FSIZE)."""

    folder: Path
    mounted: bool
    limit: int | None = None

    def fill(self, leave: int) -> None:
        """Leave `leave` bytes free (0: a full disk)."""
        if not self.mounted:
            self.limit = max(leave, 64)
            return
        st = os.statvfs(self.folder)
        with (self.folder / "fill").open("wb") as fh:
            fh.write(b"\0" * max(st.f_bavail * st.f_frsize - leave, 0))

    def preexec(self) -> None:
        if self.limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, self.limit))

    def files(self) -> list[str]:
        return [n for n in names(self.folder) if n != "fill"]


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[FullDisk]:
    folder = tmp_path / "disk"
    folder.mkdir()
    with small_tmpfs(folder, "2m") as mounted:
        yield FullDisk(folder, mounted)


def huge_png(path: Path, side: int = 60000) -> Path:
    """A valid side x side 1-bit grey PNG (black), ~440 kB, built from one compressed block
    of rows repeated (zlib restarts after a full flush) with the stream's checksum fixed."""
    rows = 1000
    block = (b"\0" * (1 + side // 8)) * rows  # each row: filter byte 0, then the pixels
    c = zlib.compressobj(9)
    head = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert body == c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    end = c.flush()[:-4]
    adler = 1
    for _ in range(side // rows):
        adler = zlib.adler32(block, adler)
    idat = head + body * (side // rows - 1) + end + struct.pack(">I", adler)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side,
                                                                       1, 0, 0, 0, 0))
                     + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


# -- a full disk, a target that cannot be written ---------------------------------------------


@pytest.mark.parametrize("command", ["render", "analyze", "baseline"])
def test_a_full_disk_is_one_line_naming_the_file_and_the_old_file_stays(
    full_disk: FullDisk, testdata: Path, command: str
) -> None:
    target = full_disk.folder / {"render": "show.mp4", "analyze": "faces.csv",
                                 "baseline": "rest.toml"}[command]
    target.write_bytes(b"the old file")
    full_disk.fill(0)
    photo = str(testdata / "single_face.jpg")
    args = {"render": ["render", "--input", "scripted", "--out", str(target), "--seconds", "1",
                       *SMALL],
            "analyze": ["analyze", photo, "--csv", str(target), "--no-progress"],
            "baseline": ["baseline", photo, "--out", str(target)]}[command]
    done = essence(*args, preexec=full_disk.preexec)
    line = one_line(done.stderr, done.returncode, f"essence: {target}: cannot be written (")
    assert line.endswith("; the old file is left as it was")
    assert target.read_bytes() == b"the old file"
    assert full_disk.files() == [target.name]  # no temp file left beside it


@pytest.mark.gl
def test_a_contact_sheet_that_does_not_fit_keeps_the_old_video_and_sheet(
    full_disk: FullDisk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The docs: a failed render leaves 'an older file of the same name untouched'. The new
    video fits and the sheet does not: neither replaces its old file."""
    render = ("render", "--input", "scripted", "--seconds", "1", "--fps", "15", *SMALL)
    reference = tmp_path / "reference" / "show.mp4"
    assert main([*render, "--out", str(reference)]) == 0  # the sizes the render will need
    capsys.readouterr()
    video = reference.stat().st_size
    sheet = reference.with_name("show.contact.png").stat().st_size
    assert video < sheet / 2, (video, sheet)  # the disk below holds the one, not the other

    out = full_disk.folder / "show.mp4"
    out.write_bytes(b"the old video")
    out.with_name("show.contact.png").write_bytes(b"the old sheet")
    full_disk.fill(video + (sheet - video) // 2)
    done = essence(*render, "--out", str(out), preexec=full_disk.preexec)
    line = one_line(done.stderr, done.returncode,
                    f"essence: {out.with_name('show.contact.png')}: cannot be written (")
    assert "no new video either" in line
    assert out.read_bytes() == b"the old video"
    assert out.with_name("show.contact.png").read_bytes() == b"the old sheet"
    assert full_disk.files() == ["show.contact.png", "show.mp4"]


def test_a_read_only_or_device_target_is_refused_before_any_work(
    tmp_path: Path, testdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = str(testdata / "single_face.jpg")
    kept = tmp_path / "kept.csv"
    kept.write_text("old rows\n")
    kept.chmod(0o444)
    video = tmp_path / "kept.mp4"
    video.write_bytes(b"old video")
    video.chmod(0o444)
    cases = [
        (["analyze", photo, "--csv", "/dev/full"], "/dev/full: --csv is a character device"),
        (["analyze", photo, "--csv", str(kept)], f"{kept}: --csv is read-only"),
        (["analyze", photo, "--csv", "/proc/self/faces.csv"],
         "/proc/self/faces.csv: --csv: cannot write here"),
        (["baseline", photo, "--out", "/proc/self/rest.toml"],
         "/proc/self/rest.toml: --out: cannot write here"),
        (["render", "--input", "scripted", "--out", str(video), "--seconds", "1", *SMALL],
         f"{video}: --out is read-only"),
        # a folder: the example names the kind of file the option writes
        (["analyze", photo, "--csv", str(tmp_path)],
         f"{tmp_path}: --csv is a folder; give a file name such as faces.csv"),
        (["baseline", photo, "--out", str(tmp_path)],
         f"{tmp_path}: --out is a folder; give a file name such as baseline.toml"),
    ]
    for args, message in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        one_line(err, 2, f"essence: {message}")
    assert kept.read_text() == "old rows\n" and video.read_bytes() == b"old video"
    assert names(tmp_path) == ["kept.csv", "kept.mp4"]


# -- inputs that are too big, too deep, or not files ------------------------------------------


@pytest.fixture(scope="module")
def big_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return huge_png(tmp_path_factory.mktemp("huge") / "huge.png")


@pytest.mark.parametrize("command", ["analyze", "render", "run"])
def test_a_60000_pixel_square_png_is_one_line_naming_it(big_png: Path, tmp_path: Path,
                                                        command: str) -> None:
    args = {"analyze": ["analyze", str(big_png), "--no-progress"],
            "render": ["render", "--input", str(big_png), "--out", str(tmp_path / "o.mp4"),
                       "--seconds", "1", *SMALL],
            "run": ["run", "--input", str(big_png), "--headless", "--osc-port", "0"]}[command]
    done = essence(*args)
    line = one_line(done.stderr, done.returncode, f"essence: {big_png}: not a readable image")
    assert "too large" in line
    assert names(tmp_path) == []


def _deep(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    return path


def test_a_toml_nested_100000_deep_is_one_line_as_config_show_and_calibration(
    tmp_path: Path, testdata: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deep = _deep(tmp_path / "deep.toml")
    nested = "not valid TOML (arrays or tables nested too deeply)"
    assert main(["--config", str(deep), "check", "--no-gl"]) == 2
    one_line(capsys.readouterr().err, 2, f"essence: {deep}: {nested}")

    assert main(["render", "--input", "scripted", "--cues", str(deep), "--out",
                 str(tmp_path / "o.mp4"), "--seconds", "1", *SMALL]) == 2
    one_line(capsys.readouterr().err, 2,
             f"essence: {deep}:1: not valid TOML: arrays or tables nested too deeply")
    lines: list[str] = []
    assert run_check(deep, face_model=None, gl=False, emit=lines.append) == 1
    assert f"        {deep}:1: not valid TOML: arrays or tables nested too deeply" in lines

    calibration = _deep(tmp_path / "calibration" / "emotion.toml")
    monkeypatch.setattr(mapping_module, "CALIBRATION", calibration)
    assert main(["analyze", str(testdata / "single_face.jpg"), "--no-progress"]) == 2
    one_line(capsys.readouterr().err, 2, f"essence: calibration/emotion.toml: {nested}")
    assert not (tmp_path / "o.mp4").exists()


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_fifo_or_dev_zero_as_show_file_or_config_fails_at_once(tmp_path: Path,
                                                                  kind: str) -> None:
    """Read without a bound, /dev/zero never ends; opened for reading, a FIFO with no writer
    blocks for ever: both are refused as not regular files (a hang fails the timeout)."""
    if kind == "fifo":
        path = tmp_path / "show.toml"
        os.mkfifo(path)
        what = "a FIFO"
    else:
        path, what = Path(kind), "a character device"
    done = essence("check", "--no-gl", "--cues", str(path), timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"        {path}:1: cannot read the show file (is {what}, not a regular file)" \
        in done.stdout.splitlines(), done.stdout
    done = essence("--config", str(path), "check", "--no-gl", timeout=30)
    one_line(done.stderr, done.returncode,
             f"essence: {path}: cannot read the config file (is {what}, not a regular file)")


# -- stopped mid-run ---------------------------------------------------------------------------


def kill_then_term(folder: Path, out: Path, args: tuple[str, ...]) -> tuple[str, int]:
    """SIGKILL one run mid-write (it leaves exactly one partial), then start another, which
    must clear that partial, and SIGTERM it mid-write; its (stderr, exit status)."""
    killed = start(*args)
    wait_for(lambda: bool(partials(folder, out.name)))
    killed.kill()
    killed.communicate(timeout=30)
    stale = partials(folder, out.name)
    assert len(stale) == 1  # what SIGKILL leaves
    stopped = start(*args)
    wait_for(lambda: stale[0] not in names(folder) and bool(partials(folder, out.name)))
    stopped.send_signal(signal.SIGTERM)
    _, err = stopped.communicate(timeout=30)
    return err, stopped.returncode


def test_sigkill_then_sigterm_mid_render_leave_no_partial_file(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: its partial file stays, and the next render of the same
    target removes it at start. SIGTERM stops the render before its next frame: its partial
    goes, the old file stays, one line says so."""
    out = tmp_path / "show.mp4"
    out.write_bytes(b"the old video")
    args = ("render", "--input", "scripted", "--out", str(out), "--seconds", "60", *SMALL)
    err, status = kill_then_term(tmp_path, out, args)
    one_line(err, status,
             f"essence: {out}: render stopped by SIGTERM at frame ")
    assert names(tmp_path) == ["show.mp4"] and out.read_bytes() == b"the old video"


def test_sigkill_then_sigterm_mid_analyze_leave_no_partial_csv(tmp_path: Path,
                                                                testdata: Path) -> None:
    out = tmp_path / "faces.csv"
    args = ("analyze", str(testdata / "WolfgangLanger_Pexels.mp4"), "--csv", str(out),
            "--no-progress")
    err, status = kill_then_term(tmp_path, out, args)
    one_line(err, status,
             f"essence: {out}: analyze stopped by SIGTERM; nothing was written")
    assert names(tmp_path) == []


# -- one bad file among good ones -------------------------------------------------------------


def _folder_with_a_corrupt_image(folder: Path, testdata: Path) -> Path:
    folder.mkdir()
    shutil.copyfile(testdata / "single_face.jpg", folder / "a.jpg")
    (folder / "b.jpg").write_bytes((testdata / "single_face.jpg").read_bytes()[:3000])
    shutil.copyfile(testdata / "multi_face.jpg", folder / "c.jpg")
    return folder / "b.jpg"


def test_a_corrupt_image_in_a_folder_is_named_once_and_the_rest_analysed(
    tmp_path: Path, testdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _folder_with_a_corrupt_image(tmp_path / "photos", testdata)
    assert main(["analyze", str(bad.parent), "--csv", "-", "--no-progress"]) == 0
    captured = capsys.readouterr()
    rows = [line.split(",")[0] for line in captured.out.splitlines()[1:]]
    assert {Path(r).name for r in rows} == {"a.jpg", "c.jpg"} and len(rows) >= 3
    assert "Traceback" not in captured.err
    about = [line for line in captured.err.splitlines() if "b.jpg" in line]
    assert about == [f"essence: {bad}: not a readable image (corrupt or unsupported format); "
                     "skipped"]
    (tmp_path / "photos" / "a.jpg").write_bytes(b"broken too")
    (tmp_path / "photos" / "c.jpg").write_bytes(b"and this one")
    assert main(["analyze", str(bad.parent), "--csv", str(tmp_path / "f.csv")]) == 2
    assert "no readable image: nothing was analysed" in capsys.readouterr().err
    assert names(tmp_path) == ["photos"]


def test_a_slideshow_moves_on_past_a_corrupt_image(
    tmp_path: Path, testdata: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = _folder_with_a_corrupt_image(tmp_path / "show", testdata)
    with caplog.at_level("WARNING"), ImageSource([bad.parent], loop=True) as slides:
        shown = [frame.source for frame in (slides.read() for _ in range(6)) if frame]
    assert shown == ["a.jpg", "c.jpg"] * 3
    assert [r.getMessage() for r in caplog.records if "b.jpg" in r.getMessage()] == [
        f"{bad}: not a readable image (corrupt or unsupported format); skipped"]
    for name in ("a.jpg", "c.jpg"):
        (bad.parent / name).write_bytes(b"broken")
    with pytest.raises(InputError, match=r"show: none of the 3 images can be read"):
        ImageSource([bad.parent], loop=True)


# -- the calibration --------------------------------------------------------------------------


def test_check_fails_a_corrupt_calibration_as_run_refuses_it(
    tmp_path: Path, face_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`essence run` builds its engine with `engine_from_settings`, which reads the shipped
    calibration; `essence check` must load it the same way and fail on what run refuses."""
    lines: list[str] = []
    assert run_check(None, face_model=str(face_model), gl=False, emit=lines.append) == 0
    assert "OK    calibration: calibration/emotion.toml: " in "\n".join(lines)

    corrupt = tmp_path / "calibration" / "emotion.toml"
    corrupt.parent.mkdir()
    corrupt.write_text(CALIBRATION.read_text(encoding="utf-8").replace(
        "\nbias = [", "\nbias = [0.5, ", 1), encoding="utf-8")
    monkeypatch.setattr(mapping_module, "CALIBRATION", corrupt)
    with pytest.raises(ConfigError) as refused:
        engine_from_settings(Settings())  # what `essence run` does at start
    assert str(refused.value) == "calibration/emotion.toml: [model] bias has 8 values, " \
                                 "expected 7"
    lines.clear()
    assert run_check(None, face_model=str(face_model), gl=False, emit=lines.append) == 1
    assert f"FAIL  calibration: {refused.value}" in lines
    assert lines[-1] == "check FAILED: 1 problem(s)"
