"""The real PortAudio stream on a null ALSA device (no sound card needed).

ALSA reads ALSA_CONFIG_PATH when PortAudio first initialises, so every case runs in a fresh
Python process with the shipped configuration in its environment: tests/data/alsa-null.conf
(one "default" output that discards samples) or tests/data/alsa-none.conf (no usable PCM).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

PLAY = r"""
import json, logging, sys, time
from performance.audio.device import AudioOutput
from performance.audio.params import AudioParams
from performance.audio.synth import Synth
from performance.core.types import CrowdReading

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
out = AudioOutput(Synth(48000, 2, 0), device=sys.argv[1] or None, blocksize=512)
started = out.start()
peak = 0.0
if started:
    out.publish(AudioParams(CrowdReading(valence=-0.5, arousal=1.0, chaos=1.0), level=1.0))
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        time.sleep(0.05)
    running, silent, reason = out.running, out.silent, out.reason
    out.stop()
else:
    running, silent, reason = False, out.silent, out.reason
s = out.stats()
print(json.dumps(dict(started=started, running=running, silent=silent, reason=reason,
    callbacks=s.callbacks, underflows=s.underflows, late=s.late, errors=s.errors,
    share_mean=s.share_mean, share_max=s.share_max, p99=s.callback_time_p99,
    blocks=out.synth.blocks, gain=out.synth.output_gain,
    last_error=repr(out.last_error))))
"""


def run_python(code: str, conf: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ALSA_CONFIG_PATH=str(DATA / conf), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def play(conf: str, device: str = "") -> dict[str, object]:
    done = run_python(PLAY, conf, device)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]), log=done.stderr)


def test_stream_plays_on_the_null_device() -> None:
    r = play("alsa-null.conf")
    assert r["started"] is True and r["running"] is True and r["silent"] is False
    assert "default" in str(r["reason"])
    assert int(r["callbacks"]) > 20  # the null PCM has no clock: many more than 94 per s
    assert r["errors"] == 0, r["last_error"]
    assert r["underflows"] == 0
    assert int(r["blocks"]) >= int(r["callbacks"])  # the synth rendered every callback
    assert float(r["gain"]) == pytest.approx(1.0, abs=0.2)  # the published level arrived
    # the callback's share of the 10.7 ms block period (goal < 25 %), measured here
    assert 0.0 < float(r["share_mean"]) < 0.25
    print(f"\ncallback share of the block period: mean {float(r['share_mean']):.3f}, "
          f"max {float(r['share_max']):.3f}, callbacks {r['callbacks']}")


def test_device_by_name_fragment_and_number() -> None:
    assert play("alsa-null.conf", "DEFAULT")["started"] is True
    assert play("alsa-null.conf", "0")["started"] is True


def test_unknown_device_is_a_clear_error_listing_the_outputs() -> None:
    code = (
        "from performance.audio.device import AudioOutput, AudioDeviceError\n"
        "from performance.audio.synth import Synth\n"
        "for spec in ('mixing desk', 7):\n"
        "    try:\n"
        "        AudioOutput(Synth(), device=spec).start()\n"
        "    except AudioDeviceError as exc:\n"
        "        print(exc)\n"
    )
    done = run_python(code, "alsa-null.conf")
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2, done.stdout + done.stderr
    assert "'mixing desk'" in lines[0] and "0: default [ALSA]" in lines[0]
    assert "audio device 7" in lines[1] and "0: default [ALSA]" in lines[1]


def test_no_device_runs_silent_and_says_so_once() -> None:
    r = play("alsa-none.conf")
    assert r["started"] is False and r["silent"] is True
    assert r["callbacks"] == 0
    assert "no audio output device" in str(r["reason"])
    assert str(r["log"]).count("no audio device: running silent") == 1


def test_essence_devices_lists_the_null_output() -> None:
    code = "import sys; from performance.cli import main; sys.exit(main(['devices']))"
    done = run_python(code, "alsa-null.conf")
    assert done.returncode == 0, done.stderr
    audio = done.stdout.split("cameras:")[0]
    assert "audio outputs:" in audio and "0: default [ALSA]" in audio
    assert "displays:" in done.stdout
    silent = run_python(code, "alsa-none.conf")
    assert "none (the show runs silent)" in silent.stdout


def test_audio_process_plays_and_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """AudioProcess: the stream in a spawned child reads the shared snapshot, counts back."""
    from performance.audio.params import AudioParams
    from performance.audio.process import AudioProcess
    from performance.core.types import CrowdReading

    monkeypatch.setenv("ALSA_CONFIG_PATH", str(DATA / "alsa-null.conf"))
    child = AudioProcess(blocksize=512)
    assert child.start() is True and child.silent is False
    child.publish(AudioParams(CrowdReading(arousal=1.0, chaos=1.0), palette="enclave"))
    import time

    deadline = time.monotonic() + 10.0
    while child.stats().callbacks < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.stop()
    s = child.stats()
    assert s.callbacks >= 50 and s.errors == 0
    assert 0.0 < s.share_mean < 0.5



SILENT_CHILD = r"""
import json, logging, sys
from performance.audio.process import AudioProcess

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    silent = AudioProcess()
    started = silent.start()
    print(json.dumps(dict(started=started, silent=silent.silent, reason=silent.reason)))
"""


UNKNOWN_CHILD = r"""
from performance.audio.device import AudioDeviceError
from performance.audio.process import AudioProcess

if __name__ == "__main__":
    output = AudioProcess(device="mixing desk")
    try:
        output.start()
    except AudioDeviceError as exc:
        print(exc)
    print("silent" if output.silent else "playing")
"""


def test_audio_process_reports_an_unknown_device_as_the_same_clear_error() -> None:
    """The child's error crosses the process boundary: the parent raises it, naming the
    device and the outputs there are, and stays silent."""
    done = run_python(UNKNOWN_CHILD, "alsa-null.conf")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2, done.stdout + done.stderr
    assert "'mixing desk'" in lines[0] and "0: default [ALSA]" in lines[0]
    assert lines[1] == "silent"


def test_audio_process_without_a_device_runs_silent_and_says_so_once() -> None:
    """Neither the child's AudioOutput nor the parent logs it twice (both write stderr)."""
    done = run_python(SILENT_CHILD, "alsa-none.conf")
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["started"] is False and r["silent"] is True
    assert "no audio output device" in r["reason"]
    assert done.stderr.count("no audio device: running silent") == 1, done.stderr


@pytest.mark.parametrize(("conf", "expected"), [
    ("alsa-null.conf", "sound: playing on 0: default [ALSA]"),
    ("alsa-none.conf", "sound: silent ("),
])
def test_the_live_show_plays_its_sound_or_runs_silent(conf: str, expected: str) -> None:
    """`essence run` itself: the picture runs either way, and the end report says which."""
    env = dict(os.environ, ALSA_CONFIG_PATH=str(DATA / conf))
    done = subprocess.run(
        [sys.executable, "-m", "performance", "run", "--headless", "--input", "scripted",
         "--seconds", "2", "--size", "96x54", "--fps", "30", "--osc-port", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout
    frames = int(done.stdout.split(" frames in ")[0].rsplit("essence: ", 1)[-1])
    assert frames > 30
