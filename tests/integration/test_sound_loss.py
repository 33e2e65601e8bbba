"""The sound process dies or hangs mid-run: the picture goes on, health says `sound lost`,
the sound comes back by itself, and the run still ends on time.

Before the fix a killed sound child went unnoticed (health `ok`, the end report "playing")
and, with the Event the process used then, `essence run` never exited after `--seconds`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from tests.integration.rig_process import ALSA_NULL, alive, essence_run, wait_until

pytestmark = pytest.mark.integration

SECONDS = 8.0
FPS = 30


def test_a_killed_sound_process_is_reported_and_replaced_and_the_run_ends_on_time() -> None:
    with essence_run(["--input", "scripted", "--cues", "cues/neo_lumen.toml",
                      "--seconds", f"{SECONDS:g}"]) as rig:
        rig.wait_rendering()
        rendering = time.monotonic()  # the loop's clock started just before this
        first = rig.pid_of("essence-audio")
        assert first is not None, rig.children()
        state = rig.state()
        assert state is not None and state["health"] == "ok", state

        os.kill(first, signal.SIGKILL)  # mid-callback: the null device calls back non-stop
        noticed = wait_until(lambda: (rig.state() or {}).get("health") == "sound lost", 1.0)
        assert noticed is not None, "health never said `sound lost` within 1 s"

        def replaced() -> bool:
            pid = rig.pid_of("essence-audio")
            return pid not in (None, first) and (rig.state() or {}).get("health") == "ok"

        back = wait_until(replaced, 5.0, step=0.05)
        assert back is not None, "the sound process did not come back"
        second = rig.pid_of("essence-audio")
        assert second is not None and second != first

        # hung at the end (stopped: SIGTERM would not reach it either): stop must not wait
        assert wait_until(lambda: time.monotonic() - rendering > SECONDS - 2.0, SECONDS)
        os.kill(second, signal.SIGSTOP)
        left = SECONDS - (time.monotonic() - rendering)
        took = rig.wait_exit(left + 3.0)
        stderr = rig.finish()
        assert took is not None, f"no exit {left + 3.0:.1f} s later:\n{stderr[-2000:]}"
        assert rig.proc.returncode == 0, stderr[-2000:]
        assert not alive(second) and not alive(first)

    frames = int(rig.stdout.split(" frames in ")[0].rsplit("essence: ", 1)[-1])
    assert frames >= 0.85 * SECONDS * FPS, rig.stdout  # the picture never waited
    assert stderr.count("sound process crashed") == 1, stderr  # reported once
    assert stderr.count("sound process playing again (restart 1)") == 1, stderr
    assert "(restarts: 1)" in rig.stdout
    print(f"\nsound lost noticed {noticed:.2f} s after the kill, playing again after "
          f"{noticed + back:.2f} s; exit {took:.2f} s after the hang "
          f"({left:.2f} s of the run were left); {frames} frames")


def test_a_hung_sound_process_is_replaced_and_stop_never_waits_for_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No heartbeat for `hang_s` (the child stopped): killed and replaced; `stop()` of a
    stopped child returns after STOP_S, the child killed."""
    from performance.audio.params import AudioParams
    from performance.audio.process import STOP_S, AudioProcess

    monkeypatch.setenv("ALSA_CONFIG_PATH", str(ALSA_NULL))
    output = AudioProcess(blocksize=512, hang_s=0.5, restart_s=0.2)
    try:
        assert output.start() is True
        first = output.pid
        assert first is not None
        os.kill(first, signal.SIGSTOP)

        def frame(done: Callable[[], bool]) -> bool:
            output.publish(AudioParams())  # once a frame in the show: it watches the child
            return done()

        assert wait_until(lambda: frame(lambda: output.lost), 3.0) is not None
        assert output.trouble is not None and "hung" in output.trouble
        assert output.silent and not alive(first)
        assert wait_until(lambda: frame(lambda: not output.lost and output.pid not in
                                        (None, first)), 10.0) is not None
        assert not output.silent and output.restarts == 1
        second = output.pid
        assert second is not None
        os.kill(second, signal.SIGSTOP)
        started = time.monotonic()
        output.stop()
        took = time.monotonic() - started
        assert took < STOP_S + 1.0 and not alive(second)
    finally:
        output.stop()
