"""End to end: a headless `essence run` of the default show, driven by liblo's oscsend.

The rig runs as its own process with its OSC server on free ports; oscdump (another
independent liblo process) receives the replies and the feedback of a subscribed sender.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Dump, free_udp_port, oscsend, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.gl, pytest.mark.timeout(90)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rig(dump: Dump) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_udp_port()
    env = {**os.environ, "ESSENCE_OSC_REPLY_PORT": str(dump.port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "performance", "run", "--headless", "--input", "scripted",
         "--cues", str(ROOT / "cues" / "neo_lumen.toml"), "--osc-port", str(port),
         "--size", "96x54", "--fps", "30", "--seconds", "8", "--no-sound"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield port, proc
    proc.kill()
    proc.wait(timeout=10)


def test_oscsend_drives_the_running_show_and_oscdump_gets_its_feedback(
    rig: tuple[int, subprocess.Popen[str]], dump: Dump
) -> None:
    port, proc = rig

    def answered() -> bool:
        oscsend(port, "/thump")
        try:
            dump.expect("/reply/thump", timeout=0.3)
        except AssertionError:
            return proc.poll() is not None  # stop waiting if the rig died
        return True

    assert wait_for(answered, timeout=20.0) and proc.poll() is None, "the rig did not answer"
    oscsend(port, "/updates", "i", "1")
    assert dump.reply("/updates")["status"] == "ok"
    # the show runs once its first status arrives (OSC listens while the stage still
    # compiles; a GO sent then would wait longer than osc_stale_after and be refused)
    dump.expect("/essence/status/state", timeout=20.0)
    oscsend(port, "/go")
    assert dump.reply("/go")["status"] == "ok"
    dump.expect("/essence/status/cue", '"0"', timeout=3.0)  # the first cue fired on the stage
    oscsend(port, "/cue/1/start")
    assert dump.reply("/cue/1/start")["status"] == "ok"
    dump.expect("/essence/status/cue", '"1"', timeout=3.0)  # the enclave's gates
    # the enclave declares intensity in [0, 2]: 7.5 is refused at the door
    oscsend(port, "/essence/param/intensity", "f", "7.5")
    assert dump.reply("/essence/param/intensity") == {
        "workspace_id": "essence", "address": "/essence/param/intensity", "status": "error",
        "data": "bad_value"}
    oscsend(port, "/essence/param/warp", "f", "0.5")  # the enclave declares no such input
    assert dump.reply("/essence/param/warp")["data"] == "unknown_address"
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert "osc: packets" in output
