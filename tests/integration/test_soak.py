"""`essence soak` itself, short: a real headless kiosk on a real clip with OSC traffic and its
children SIGKILLed on a schedule; the samples file says what the run did, and it is true."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import free_udp_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_a_short_soak_kills_children_sees_them_replaced_and_writes_its_samples(
        testdata: Path, tmp_path: Path) -> None:
    out = tmp_path / "soak.jsonl"
    env = {**os.environ, "ESSENCE_STATE_DIR": str(tmp_path / "state"), "PYTHONPATH": str(ROOT),
           "ALSA_CONFIG_PATH": str(ROOT / "tests" / "data" / "alsa-null.conf")}
    proc = subprocess.run(
        [sys.executable, "-m", "performance", "soak", "--minutes", "0.6", "--input",
         str(testdata / "single_face.mp4"), "--size", "160x90", "--every", "3",
         "--fault-every", "9", "--osc-port", str(free_udp_port()), "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    samples, summary = lines[:-1], lines[-1]["summary"]
    assert len(samples) >= 8  # every 3 s for 36 s
    assert summary["faults"] >= 3 and summary["osc_sent"] > 0
    assert summary["recovered"] == summary["faults"] or summary["recovered"] >= 2
    frames = [s["frames"] for s in samples]
    assert frames == sorted(frames) and frames[-1] > frames[0] + 100  # the picture went on
    assert samples[-1]["restarts"] >= 2  # the kiosk's health counted the replaced children
    assert all(s["fds"] > 0 and s["threads"] > 0 and s["rss_mb"] > 50 for s in samples)
    assert isinstance(summary["rss_slope_mb_per_hour"], float)
