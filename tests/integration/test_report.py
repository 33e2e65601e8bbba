"""`essence report VIDEO`: a real clip (2.4 s, one face) read by real MediaPipe, the show
(cues/neo_lumen.toml, GO after 0.5 s) rendered offline on a real EGL context, the HTML page
checked for its plots with real numbers, and then opened in a real headless chromium
(tests/browser.py): the plotly plots are drawn, the screenshot has their coloured traces,
the contact sheet decodes, and the page fetched nothing but itself and data: URIs."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from performance.cli import main
from performance.report.plots import PLOT_IDS
from tests import browser

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.gl]


def _plot_data(page: str, div_id: str) -> list[dict]:
    start = re.search(r'Plotly\.newPlot\(\s*"' + div_id + r'",\s*', page)
    assert start is not None, div_id
    data, _ = json.JSONDecoder().raw_decode(page, start.end())
    return data  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def report(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The report of single_face.mp4 (and what `essence report` wrote to stderr)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("report") / "rehearsal.html"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["report", str(testdata / "single_face.mp4"), "--out", str(out),
                     "--cues", str(ROOT / "cues" / "neo_lumen.toml"), "--auto-go", "0.5",
                     "--size", "192x108", "--contact-frames", "6"])
    assert code == 0, err.getvalue()
    return out, err.getvalue()


def test_report_of_a_real_clip_has_real_numbers(report: tuple[Path, str]) -> None:
    out, err = report
    page = out.read_text(encoding="utf-8")
    for div_id in PLOT_IDS:
        assert f'id="{div_id}"' in page
    times = _plot_data(page, "plot-faces")[0]["x"]
    faces = _plot_data(page, "plot-faces")[0]["y"]
    assert len(times) == 36 and times[-1] == pytest.approx(35 / 15)  # 2.4 s at 15 fps
    assert max(faces) >= 1 and sum(f > 0 for f in faces) > len(faces) // 2  # the face is seen
    valence, arousal = (t["y"] for t in _plot_data(page, "plot-affect"))
    assert len(set(valence)) > 3 and len(set(arousal)) > 3  # the room's reading moves
    assert all(-1.0 <= v <= 1.0 for v in valence + arousal)
    shares = _plot_data(page, "plot-emotions")
    assert len(shares) == 7
    assert any(max(t["y"]) > 0.1 for t in shares)
    cues = {t["name"]: t["text"] for t in _plot_data(page, "plot-cues")}
    assert cues["fired by AutoGo (unattended)"][:1] == ["0 House dark"]  # the show's first cue
    assert '<tr class="cue" data-by="auto">' in page
    read = re.search(r"video frames read by the face model</td><td>(\d+)<", page)
    assert read is not None and 65 <= int(read.group(1)) <= 72  # the clip's 72 frames, to 2.33 s
    assert "face model time" in page
    # per-frame wall times: every show frame's drawing, every video frame's face model
    drawing = _table_after(page, "drawing, wall time per show frame")
    assert drawing["frames"] == "36"
    assert 0.0 < float(drawing["median (ms)"]) <= float(drawing["95th percentile (ms)"]) \
        <= float(drawing["worst (ms)"])
    model = _table_after(page, "face model, wall time per video frame")
    assert model["frames"] == read.group(1)
    assert 3.0 < float(model["median (ms)"]) < 1000.0  # a real landmarker run per frame
    # the contact sheet: a PNG of rendered visuals, 6 cells, decodable
    data = re.search(r'id="contact-sheet" [^>]*src="data:image/png;base64,([^"]+)"', page)
    assert data is not None
    sheet = cv2.imdecode(np.frombuffer(base64.b64decode(data.group(1)), np.uint8),
                         cv2.IMREAD_COLOR)
    assert sheet is not None and sheet.shape[1] > 4 * 192 and sheet.std() > 5
    assert "36/36" in err  # the progress bar ran to the end


def _table_after(page: str, heading: str) -> dict[str, str]:
    """The rows (name -> value) of the statistics table under `heading`."""
    start = page.index(f"<h3>{heading}</h3>")
    table = page[start:page.index("</table>", start)]
    return dict(re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", table))


def _pixels_near(image: np.ndarray, rgb: tuple[int, int, int], tol: int = 40) -> int:
    return int((np.abs(image.astype(int) - rgb).sum(axis=2) < tol).sum())


def test_report_in_a_headless_browser(report: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = report
    with browser.open_browser() as driver:
        shot = browser.screenshot(driver, out, ".js-plotly-plot .main-svg .scatterlayer .trace",
                                  count=len(PLOT_IDS))
        drawn = driver.execute_script(
            "return [...document.querySelectorAll('.js-plotly-plot')].map(e => e.id)")
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        sheet_width = driver.execute_script(
            "return document.getElementById('contact-sheet').naturalWidth")
        boxes = {div_id: browser.element_box(driver, f"#{div_id}") for div_id in PLOT_IDS[:3]}
    cv2.imwrite(str(tmp_path / "report.png"), shot[:, :, ::-1])
    assert sorted(drawn) == sorted(PLOT_IDS)  # plotly.js drew every plot
    assert all(url.startswith(("data:", "file:")) for url in fetched), fetched
    assert sheet_width > 0  # the embedded contact sheet decoded in the browser
    assert shot.std() > 10  # not a blank page

    def crop(div_id: str) -> np.ndarray:
        x, y, w, h = boxes[div_id]
        assert y + h <= shot.shape[0], f"{div_id} is below the screenshot"
        return shot[y:y + h, x:x + w]

    assert _pixels_near(crop("plot-faces"), (0x3B, 0x75, 0xAF)) > 500  # the faces trace
    affect = crop("plot-affect")
    assert _pixels_near(affect, (0x2C, 0xA0, 0x2C)) > 100  # valence (green)
    assert _pixels_near(affect, (0xD6, 0x27, 0x28)) > 100  # arousal (red)
    assert _pixels_near(crop("plot-chaos"), (0x94, 0x67, 0xBD)) > 50  # chaos (violet)


def test_report_of_a_real_recording(tmp_path: Path, testdata: Path, face_model: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A real rehearsal recorded (the clip through the face model, two GO presses), then
    `essence report FILE`: GO-fired cues on the plots, the tracking stream's perception
    figures, and the contact sheet of the replay rendered."""
    from performance.config import DEFAULT_CUES, Settings
    from performance.core.mailbox import CommandQueue
    from performance.recording.records import Origin
    from performance.recording.tap import TappedCommands
    from performance.runtime.live import LiveOptions, run_live
    from performance.runtime.recorded import make_tap
    from performance.show.commands import Command

    for key in ("HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(key, str(tmp_path / "home" / key.lower()))
    clip, size, fps, frames = str(testdata / "single_face.mp4"), (160, 90), 30.0, 60
    settings = Settings(face_model=str(face_model), cues=str(DEFAULT_CUES), sound=False,
                        osc_port=0, osc_tcp_port=0)
    take = tmp_path / "take.jsonl"
    tap = make_tap(clip, settings, stage=size, fps=fps, announce=lambda line: None)
    queue: CommandQueue[Command] = CommandQueue()
    count = [0]

    def events() -> list[str]:  # GO at frames 3 and 20 (cues 0 and 1)
        n, count[0] = count[0], count[0] + 1
        return ["space"] if n in (3, 20) else []

    run_live(LiveOptions(input=clip, loop_video=True, headless=True, size=size, fps=fps,
                         max_frames=frames, record=str(take)),
             settings, commands=TappedCommands(queue, tap, origin=Origin.CONSOLE),
             events=events, tap=tap)
    out = tmp_path / "report.html"
    assert main(["report", str(take), "--out", str(out), "--size", "160x90",
                 "--contact-frames", "4", "--no-progress"]) == 0
    page = out.read_text(encoding="utf-8")
    faces = _plot_data(page, "plot-faces")[0]["y"]
    assert len(faces) == frames and max(faces) >= 1
    go = {t["name"]: t["text"] for t in _plot_data(page, "plot-cues")}["fired by GO (operator)"]
    assert go == ["0 House dark", "1 The gates of Neo-Lumen"]
    assert page.count('<tr class="cue" data-by="go">') == 2
    assert re.search(r"tracking frames</td><td>(\d+)<", page) is not None
    assert re.search(r"frames with a face</td><td>[1-9]", page) is not None
    data = re.search(r'id="contact-sheet" [^>]*src="data:image/png;base64,([^"]+)"', page)
    assert data is not None  # the replay was rendered: its visuals, no camera frame
    assert f"wrote {out} ({frames} show frames" in capsys.readouterr().out


def test_sigterm_stops_a_report_leaving_no_file(testdata: Path, tmp_path: Path) -> None:
    """SIGTERM mid-render: one line naming the report, exit status not 0, no page, and the
    temporary folder of the render is gone."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "r.html"
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "performance", "report",
         str(testdata / "WolfgangLanger_Pexels.mp4"), "--out", str(out), "--size", "160x90"],
        stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 120
    while "render:" not in seen or "frame/s]" not in seen:  # the render is under way
        chunk = proc.stderr.read(64)
        assert chunk and time.monotonic() < deadline, seen
        seen += chunk
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) != 0
    lines = [line for line in (seen + rest).replace("\r", "\n").splitlines()
             if line.startswith("essence:")]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"essence: {out}: report stopped by SIGTERM (render stopped by "
                               "SIGTERM at frame "), lines
    assert lines[0].endswith("); nothing was written"), lines
    assert not out.exists()
    assert list((tmp_path / "tmp").iterdir()) == []
