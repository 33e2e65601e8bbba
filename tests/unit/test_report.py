"""The rehearsal report from a small synthetic recording: a real .jsonl file written with the
recording format's encoder and read back, the timeline built from it, and the HTML page
(plots, cue markers, the "fired by" legend, self-contained: nothing a browser would fetch)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from performance.cli import main
from performance.core.errors import InputError
from performance.core.types import EMOTIONS
from performance.recording.format import encode, encode_header, read_recording
from performance.recording.records import CueRecord, FiredBy, FrameRecord, Header, StateRecord
from performance.report.build import open_input
from performance.report.page import render_page
from performance.report.plots import PLOT_IDS
from performance.report.timeline import (
    Series,
    Timeline,
    frame_time_rows,
    timeline_from_recording,
    work_time_rows,
)

FPS = 10.0
FRAMES = 40
CUES = [(0.5, 1, "1", "Opening", FiredBy.GO), (1.5, 1, "2", "Bloom", FiredBy.AUDIENCE),
        (2.5, 2, "3", "Storm", FiredBy.AUTO), (3.0, 2, "4", "Calm", FiredBy.FOLLOW)]


def _state(n: int) -> StateRecord:
    t = n / FPS
    act = 1 if t < 2.5 else 2
    shares = [0.0] * len(EMOTIONS)
    shares[n % len(EMOTIONS)] = 1.0
    return StateRecord(t=t, n=n, act=act, cue=None, phase="running", faces=n // 10,
                       valence=math.sin(t), arousal=math.cos(t), chaos=t / 4.0,
                       emotions=tuple(shares), master=1.0, visual="essence", mix=1.0,
                       chaos_mode=False)


def write_recording(path: Path) -> Path:
    """A 4-second recording: 40 frames with 0..3 faces, 4 cues fired by each kind."""
    header = Header(started="2026-12-02T12:00:00+00:00", source="clip.mp4", cues="",
                    settings={}, stage=(320, 180), fps=FPS)
    lines = [encode_header(header)]
    cues = {round(t * FPS): (t, act, cue, name, by) for t, act, cue, name, by in CUES}
    for n in range(FRAMES):
        lines.append(encode(FrameRecord(t=n / FPS, n=n, index=n, media_time=n / FPS,
                                        faces=())))
        if n in cues:
            t, act, cue, name, by = cues[n]
            lines.append(encode(CueRecord(t=t, n=n, act=act, cue=cue, name=name, by=by)))
        lines.append(encode(_state(n)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def timeline(tmp_path: Path) -> Timeline:
    return timeline_from_recording(read_recording(write_recording(tmp_path / "r.jsonl")))


def test_timeline_holds_the_series_and_markers(timeline: Timeline) -> None:
    assert len(timeline.times) == FRAMES
    assert timeline.values[Series.FACES][:11] == [0.0] * 10 + [1.0]
    assert timeline.max_faces == 3
    assert timeline.values[Series.VALENCE][5] == pytest.approx(math.sin(0.5))
    assert set(timeline.emotions) == set(EMOTIONS)
    assert all(len(v) == FRAMES for v in timeline.emotions.values())
    assert [(a.t, a.act) for a in timeline.acts] == [(0.0, 1), (2.5, 2)]
    assert [(c.cue, c.by) for c in timeline.cues] == [(c[2], c[4]) for c in CUES]
    assert timeline.fired_by() == {by: 1 for by in FiredBy}
    stats = dict(timeline.stats["frame times (show clock)"])
    assert stats["frames"] == "40" and stats["median frame time (ms)"] == "100.0"
    assert dict(timeline.stats["perception"])["tracking frames"] == "40"


def test_frame_time_rows_find_a_stall() -> None:
    times = [i / 60 for i in range(60)] + [1.5]  # one 0.52 s stall at the end
    rows = dict(frame_time_rows(times))
    assert rows["median frame time (ms)"] == "16.7"
    assert rows["worst (ms)"] == "516.7"
    assert rows["frames over 2x median"] == "1"


def test_work_time_rows_count_the_frames_that_could_not_keep_up() -> None:
    seconds = [0.010] * 90 + [0.020] * 9 + [0.250]  # at 15 fps a frame has 66.7 ms
    rows = dict(work_time_rows(seconds, 1 / 15))
    assert rows["frames"] == "100"
    assert rows["median (ms)"] == "10.0" and rows["95th percentile (ms)"] == "20.0"
    assert rows["worst (ms)"] == "250.0"
    assert rows["over 66.7 ms (one show frame)"] == "1 (1 %)"
    assert dict(work_time_rows([0.1, 0.2], 0.05))["over 50.0 ms (one show frame)"] == "2 (100 %)"
    assert work_time_rows([], 0.05) == [("frames", "0")]


def _plot_data(page: str, div_id: str) -> list[dict]:
    start = re.search(r'Plotly\.newPlot\(\s*"' + div_id + r'",\s*', page)
    assert start is not None, div_id
    data, _ = json.JSONDecoder().raw_decode(page, start.end())
    return data  # type: ignore[no-any-return]


def test_page_has_the_plots_markers_and_legend(timeline: Timeline) -> None:
    page = render_page(timeline)
    for div_id in PLOT_IDS:
        assert f'id="{div_id}"' in page
    faces = _plot_data(page, "plot-faces")[0]
    assert faces["y"] == timeline.values[Series.FACES]
    emotions = _plot_data(page, "plot-emotions")
    assert sorted(trace["name"] for trace in emotions) == sorted(EMOTIONS)
    cues = {trace["name"]: trace["x"] for trace in _plot_data(page, "plot-cues")}
    assert cues["fired by GO (operator)"] == [0.5]
    assert cues["fired by the audience (armed condition met)"] == [1.5]
    # the act and cue markers: vertical lines at each time, on every plot over time
    layout = re.search(r'"plot-faces",\s*\[.*?\],\s*(\{"template".*?"shapes":\[.*?\])', page,
                       re.S)
    assert layout is not None
    xs = sorted(float(x) for x in re.findall(r'"x0":([0-9.]+)', layout.group(1)))
    assert xs == [0.0, 0.5, 1.5, 2.5, 2.5, 3.0]
    assert 'id="fired-by-legend"' in page
    for by in FiredBy:
        assert f'data-by="{by}"' in page
    assert page.count('<tr class="cue"') == 4
    assert "Storm" in page and "Act 2" in page


def test_page_is_self_contained(timeline: Timeline) -> None:
    timeline.contact_sheet = b"\x89PNG\r\n\x1a\nnot-really"
    page = render_page(timeline)
    # nothing a browser would fetch: no remote script, stylesheet, image or frame
    assert not re.search(r'<(script|img|iframe)[^>]*\ssrc\s*=\s*["\']?(https?:)?//', page, re.I)
    assert not re.search(r'<link[^>]*\shref\s*=\s*["\']?(https?:)?//', page, re.I)
    assert not re.search(r'@import|url\(\s*["\']?https?:', page.split("<script")[0], re.I)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js inline
    assert 'src="data:image/png;base64,iVBORw0KGgo' in page


def test_cli_report_from_a_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_recording(tmp_path / "r.jsonl")
    out = tmp_path / "report.html"
    assert main(["report", str(path), "--out", str(out), "--contact-frames", "0",
                 "--no-progress"]) == 0
    page = out.read_text(encoding="utf-8")
    assert all(f'id="{div_id}"' in page for div_id in PLOT_IDS)
    assert "40 show frames over 3.9 s; at most 3 faces in view" in page
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "text", "why"), [
    ("missing.jsonl", None, "no such file"),
    ("notes.txt", "hello\n", "not a recording (essence record) and not a video"),
    ("other.jsonl", '{"format": "something-else"}\n',
     "not a recording (essence record) and not a video"),
    ("empty.jsonl", "", "not a recording (essence record) and not a video"),
])
def test_bad_input_is_one_line_naming_the_file(tmp_path: Path, name: str, text: str | None,
                                               why: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(why)):
        open_input(path)
    assert main(["report", str(path), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"essence: {path}: ") and why in err and "\n" not in err
    assert not (tmp_path / "r.html").exists()


def test_a_bad_line_names_file_and_line(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = write_recording(tmp_path / "r.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = '{"t": 0.1, "kind": "state", "n": 1}'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["report", str(path), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"essence: {path}: line 4: bad state record")


def test_a_long_show_is_thinned_for_the_plots(timeline: Timeline) -> None:
    thin = timeline.thinned(8)  # 40 frames -> 8 buckets of 5
    assert thin.times == [timeline.times[i] for i in range(0, FRAMES, 5)]
    assert thin.values[Series.FACES] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert thin.values[Series.CHAOS][1] == pytest.approx(sum(n / FPS / 4 for n in
                                                             range(5, 10)) / 5)
    assert all(sum(thin.emotions[name][k] for name in EMOTIONS) == pytest.approx(1.0)
               for k in range(8))
    assert thin.cues is timeline.cues and timeline.thinned(100) is timeline
    page = render_page(timeline, max_points=8)
    assert len(_plot_data(page, "plot-faces")[0]["x"]) == 8
    assert "each the mean of 5 frames" in page
    assert '<td>frames</td><td>40</td>' in page  # the tables count every frame
