"""Real kiosk runs (`essence kiosk --headless` in a subprocess, the real sound process on the
null ALSA device, OSC on), with faults injected the way a gallery meets them: the sd_notify
protocol against a real socket, SIGKILL mid-story (it resumes at the cue it was in), a crash
loop (it holds the safe mode instead), a show file corrupted at boot (the last good copy
plays), no camera at boot (it starts anyway and keeps retrying)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SHOW = DATA / "companion_act.toml"  # one act of quick cues
ESSENCE = [sys.executable, "-m", "performance"]

pytestmark = pytest.mark.integration


def kiosk_env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "WATCHDOG_"))}
    env.update(ESSENCE_STATE_DIR=str(state), ALSA_CONFIG_PATH=str(DATA / "alsa-null.conf"),
               PYTHONPATH=str(ROOT), **extra)
    return env


def kiosk(state: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """A headless kiosk on the quick show, GO pressed after 0.2 s of waiting."""
    command = [*ESSENCE, "kiosk", "--headless", "--size", "160x90", "--fps", "30",
               "--auto-go", "0.2", *args]
    if "--cues" not in args:
        command += ["--cues", str(SHOW)]
    if "--input" not in args:
        command += ["--input", "scripted"]
    if "--osc-port" not in args:
        command += ["--osc-port", "0"]
    return subprocess.Popen(command, env=kiosk_env(state, **env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def read_json(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def finish(proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    out, _ = proc.communicate(timeout=timeout)
    return out


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(0.2)
    yield sock, path
    sock.close()


def test_the_kiosk_speaks_sd_notify_from_the_render_loop(
        tmp_path: Path, notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    proc = kiosk(tmp_path / "state", "--seconds", "5", NOTIFY_SOCKET=path,
                 WATCHDOG_USEC="1000000", ESSENCE_HEALTH_EVERY="0.5")
    messages: list[str] = []
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            messages.append(sock.recv(4096).decode())
    out = finish(proc)
    assert proc.returncode == 0, out
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except (TimeoutError, BlockingIOError):
            break
    first = messages[0].splitlines()
    assert first[0] == "READY=1" and first[1].startswith("STATUS=show | ")
    pings = [m for m in messages if m == "WATCHDOG=1"]
    assert len(pings) >= 6  # every 0.5 s (half of WATCHDOG_USEC) for 5 s of frames
    statuses = [m for m in messages if m.startswith("STATUS=")]
    assert any("act 1 cue" in m for m in statuses)  # the act and cue reach systemd
    assert messages[-1] == "STOPPING=1"
    health = read_json(tmp_path / "state" / "health.json")
    assert health["mode"] == "stopped" and health["frames"] > 60 and health["health"] == "ok"


def test_sigkill_mid_story_resumes_at_the_cue_it_was_in(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = kiosk(state)
    try:
        reached = wait_until(lambda: read_json(state / "resume.json").get("cue_id") == "2", 60)
        assert reached, "the story never reached cue 2"
    finally:
        proc.send_signal(signal.SIGKILL)
        out = finish(proc)
    assert proc.returncode == -signal.SIGKILL
    again = kiosk(state, "--seconds", "2")
    out = finish(again)
    assert again.returncode == 0, out
    assert "resumed at act 1, cue 2" in out
    assert "cue 0 House dark fired" not in out  # the story did not start over
    assert "kiosk ended in show mode; resumed at cue 2" in out
    ledger = read_json(state / "starts.json")["starts"]
    assert [s["clean"] for s in ledger] == [False, True]  # the kill counted as a crash


def test_a_crash_loop_holds_the_safe_mode_with_sound_off(tmp_path: Path) -> None:
    state = tmp_path / "state"
    for _ in range(3):  # three crashes within minutes
        proc = kiosk(state)
        try:
            assert wait_until(lambda: (state / "health.json").exists(), 60)
        finally:
            proc.send_signal(signal.SIGKILL)
            finish(proc)
        (state / "health.json").unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # under systemd: it hands back
    sock.bind(str(tmp_path / "notify.sock"))
    started = time.monotonic()
    proc = kiosk(state, NOTIFY_SOCKET=str(tmp_path / "notify.sock"), ESSENCE_SAFE_HOLD="10")
    out = finish(proc, timeout=60)
    sock.close()
    assert proc.returncode == 75, out  # after the hold: exit for systemd to try the show again
    assert 10 <= time.monotonic() - started < 40
    assert "kiosk ended in safe mode; safe mode: 3 crashes in 10 min" in out
    assert "fired" not in out  # no cue fired
    health = read_json(state / "health.json")
    assert health["safe_reason"] == "safe mode: 3 crashes in 10 min"
    assert health["health"].startswith("safe mode: 3 crashes") and health["sound"] == "sound: off"
    status = subprocess.run([*ESSENCE, "status"], env=kiosk_env(state), capture_output=True,
                            text=True, timeout=30)
    assert status.returncode == 1 and "safe_reason: safe mode: 3 crashes" in status.stdout
    reset = subprocess.run([*ESSENCE, "kiosk", "--reset"], env=kiosk_env(state),
                           capture_output=True, text=True, timeout=30)
    assert reset.returncode == 0 and not (state / "starts.json").exists()


def test_a_show_file_corrupted_at_boot_plays_its_last_good_copy(tmp_path: Path) -> None:
    state, show = tmp_path / "state", tmp_path / "show.toml"
    show.write_text(SHOW.read_text())
    first = kiosk(state, "--cues", str(show), "--seconds", "1")
    assert first.wait(60) == 0
    show.write_bytes(b"[[cue]]\nid = \x00\x01 broken")
    proc = kiosk(state, "--cues", str(show), "--seconds", "3")
    out = finish(proc)
    assert proc.returncode == 0, out
    assert "playing its last good copy" in out and "Traceback" not in out
    assert "cue 0 House dark fired" in out or "resumed at" in out  # the story plays
    health = read_json(state / "health.json")
    assert "show file broken: playing the last good copy" in health["health"]


def test_no_camera_at_boot_starts_anyway_and_keeps_retrying(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = kiosk(state, "--input", "9", "--seconds", "4", ESSENCE_HEALTH_EVERY="0.5")
    seen: list[dict] = []  # type: ignore[type-arg]
    while proc.poll() is None:
        seen.append(read_json(state / "health.json"))
        time.sleep(0.2)
    out = finish(proc)
    assert proc.returncode == 0, out
    assert "starting without it" in out and "Traceback" not in out
    running = [h for h in seen if h.get("mode") == "show"]
    assert running and all(h["camera"].startswith("lost: camera 9") for h in running)
    assert "input lost" in running[-1]["health"]  # said, not "ok"
    assert read_json(state / "health.json")["frames"] > 30  # the picture kept coming


def test_sigterm_ends_the_kiosk_cleanly_within_3_s(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = kiosk(state)
    try:
        assert wait_until(lambda: (state / "health.json").exists(), 60)
    finally:
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out = finish(proc)
    took = time.monotonic() - sent
    assert proc.returncode == 0 and took < 3.0, (took, out)
    assert "Traceback" not in out
    assert read_json(state / "starts.json")["starts"][-1]["clean"] is True  # not a crash
    assert read_json(state / "health.json")["mode"] == "stopped"


def test_the_kiosk_window_is_fullscreen_ignores_stray_keys_and_exits_on_the_chord(
        tmp_path: Path) -> None:
    """Real X key presses (xdotool, XTEST) into the real window under Xvfb."""
    from tests.integration.conftest import cursor_opaque_pixels, running_xvfb

    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed (apt-get install xdotool)")
    with running_xvfb(size="640x360x24") as display:
        env = {"DISPLAY": display, "SDL_VIDEODRIVER": "x11"}
        assert cursor_opaque_pixels(display) > 0  # the bare server shows its cursor
        state = tmp_path / "state"
        command = [*ESSENCE, "kiosk", "--size", "320x180", "--osc-port", "0", "--auto-go",
                   "0.2", "--cues", str(SHOW), "--input", "scripted", "--no-vsync"]
        proc = subprocess.Popen(command, env=kiosk_env(state, **env), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

        def xdo(*args: str) -> str:
            return subprocess.run(["xdotool", *args], env={**os.environ, **env},
                                  capture_output=True, text=True, timeout=10).stdout.strip()

        try:
            assert wait_until(lambda: (state / "health.json").exists(), 60)
            window = xdo("search", "--classname", ".").split()[0]
            geometry = xdo("getwindowgeometry", window)
            assert "Geometry: 640x360" in geometry  # fullscreen on the 640x360 screen
            xdo("mousemove", "200", "120")  # the pointer over the picture ...
            assert wait_until(lambda: cursor_opaque_pixels(display) == 0, 5)  # ... unseen
            xdo("windowfocus", "--sync", window)
            xdo("key", "Escape", "space", "ctrl+q", "b", "f", "q")  # panic, GO, quit, ...
            time.sleep(1.5)  # the kiosk must still be running after them
            assert proc.poll() is None
            assert read_json(state / "health.json")["mode"] == "show"
            pressed = time.monotonic()
            xdo("key", "ctrl+shift+q")
            out = finish(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0 and time.monotonic() - pressed < 3.0, out
        assert "panic" not in out.lower() and "blackout" not in out.lower()


def test_a_missing_sound_device_does_not_stop_the_kiosk(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = kiosk(state, "--seconds", "4", ESSENCE_AUDIO_DEVICE="no such sound card",
                 ESSENCE_HEALTH_EVERY="0.5")
    seen: list[dict] = []  # type: ignore[type-arg]
    while proc.poll() is None:
        seen.append(read_json(state / "health.json"))
        time.sleep(0.2)
    out = finish(proc)
    assert proc.returncode == 0, out  # `essence run` refuses it (exit 2); a kiosk goes on
    assert "Traceback" not in out and "no such sound card" in out
    running = [h for h in seen if h.get("mode") == "show"]
    assert running and all("sound" in h["health"] for h in running)  # said, not "ok"
    assert read_json(state / "health.json")["frames"] > 30


def test_health_over_osc(tmp_path: Path) -> None:
    from pythonosc.osc_message import OscMessage
    from pythonosc.osc_message_builder import OscMessageBuilder

    from tests.integration.conftest import free_udp_port

    state, port = tmp_path / "state", free_udp_port()
    proc = kiosk(state, "--seconds", "6", "--osc-port", str(port), ESSENCE_HEALTH_EVERY="0.5",
                 ESSENCE_OSC_REPLY_PORT="0")
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind(("127.0.0.1", 0))
    client.settimeout(0.5)
    reply: dict = {}  # type: ignore[type-arg]
    try:
        assert wait_until(lambda: (state / "health.json").exists(), 60)
        time.sleep(1.0)
        for _ in range(10):
            client.sendto(OscMessageBuilder("/essence/health").build().dgram, ("127.0.0.1", port))
            try:
                message = OscMessage(client.recv(65536))
            except TimeoutError:
                continue
            reply = json.loads(message.params[0])
            break
    finally:
        client.close()
        out = finish(proc)
    assert proc.returncode == 0, out
    data = reply["data"]
    assert reply["status"] == "ok" and data["mode"] == "show" and data["frames"] > 0
    assert data["health"] == "ok" and "memory_mb" in data and "uptime_s" in data


def test_the_wall_clock_jumping_in_a_real_run_fires_no_cue_twice_and_skips_none(
        tmp_path: Path) -> None:
    """A real kiosk process whose real wall clock (CLOCK_REALTIME, through libc: an
    LD_PRELOAD shim, tests/data/walljump.c) steps an hour forward mid-story, then back, as an
    NTP step or a hand-set clock does; the monotonic clock runs on."""
    import re
    from datetime import datetime

    from performance.runtime.assemble import load_show

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.fail("a C compiler is needed to build tests/data/walljump.c (apt-get install gcc)")
    shim, offset = tmp_path / "walljump.so", tmp_path / "offset"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(shim),
                    str(DATA / "walljump.c"), "-ldl"], check=True, timeout=60)
    offset.write_text("0")
    state = tmp_path / "state"
    proc = kiosk(state, LD_PRELOAD=str(shim), WALLJUMP_FILE=str(offset),
                 ESSENCE_HEALTH_EVERY="0.5", ESSENCE_OPENING_HOURS="00:00-24:00")
    seen: list[datetime] = []

    def note_health() -> None:
        updated = read_json(state / "health.json").get("updated")
        if updated and (not seen or datetime.fromisoformat(updated) != seen[-1]):
            seen.append(datetime.fromisoformat(updated))

    try:
        assert wait_until(lambda: (state / "health.json").exists(), 60)
        for shift in ("0", "3600", "0"):
            offset.write_text(shift)
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                note_health()
                time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)  # a clean end (exit 0)
        out = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    steps = [(b - a).total_seconds() for a, b in itertools.pairwise(seen)]
    assert max(steps) > 3000 and min(steps) < -3000, seen  # the kiosk saw both jumps
    fired = re.findall(r"cue (\S+) .*? fired", out)
    order = [cue.id for cue in load_show(SHOW).cues]
    assert len(fired) >= 4, out  # the story went on through both jumps
    assert fired == order[:len(fired)], fired  # in order: none twice, none skipped


def test_a_full_disk_under_a_running_kiosk_loses_no_saved_state(tmp_path: Path) -> None:
    """The state folder on a small tmpfs filled mid-show: the picture goes on, each file's
    failure is said once, the last good resume point and ledger stay readable, and saving
    works again once there is room."""
    state = tmp_path / "state"
    state.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(state)],
                             capture_output=True, check=False).returncode == 0
    if not mounted:
        pytest.fail("this test fills a tmpfs: it needs to mount one (CI runs as root)")
    try:
        proc = kiosk(state, ESSENCE_HEALTH_EVERY="0.5")
        try:
            assert wait_until(lambda: read_json(state / "resume.json").get("cue_id"), 60)
            st = os.statvfs(state)
            with (state / "fill").open("wb") as fh, contextlib.suppress(OSError):
                fh.write(b"\0" * (st.f_bavail * st.f_frsize))  # the disk is full from here
            full_since = time.monotonic()
            time.sleep(4.0)  # cues change and health is due every 0.5 s: every save fails
            assert proc.poll() is None  # still running
            resume = read_json(state / "resume.json")
            assert resume.get("cue_id")  # the last good point, whole
            assert read_json(state / "starts.json")["starts"]  # the ledger, whole
            (state / "fill").unlink()
            assert wait_until(lambda: (state / "health.json").stat().st_mtime > full_since
                              + 4.0, 10)  # saved again once there is room
        finally:
            proc.send_signal(signal.SIGTERM)
            out = finish(proc)
        assert proc.returncode == 0, out
        assert out.count("cannot save") <= 2 and "cannot save" in out  # once per file
        assert "Traceback" not in out
        assert not [p for p in state.iterdir() if p.name.endswith(".tmp")]
    finally:
        subprocess.run(["umount", str(state)], check=False)


def test_killed_children_are_replaced_and_counted_in_the_health_report(
        tmp_path: Path, testdata: Path) -> None:
    from tests.integration.rig_process import descendants

    state = tmp_path / "state"
    proc = kiosk(state, "--input", str(testdata / "single_face.mp4"), "--loop",
                 "--osc-port", "53127", ESSENCE_HEALTH_EVERY="0.5")
    try:
        assert wait_until(lambda: read_json(state / "health.json").get("frames", 0) > 0, 60)
        for name in ("essence-audio", "essence-percept", "essence-osc"):
            victim = next(p for p, n in descendants(proc.pid).items() if n == name)
            os.kill(victim, signal.SIGKILL)
        counted = wait_until(lambda: {"perception", "osc", "sound"} <= set(
            read_json(state / "health.json").get("restarts", {})), 30)
        assert counted, read_json(state / "health.json")
        assert wait_until(lambda: read_json(state / "health.json").get("health") == "ok", 30)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        out = finish(proc)
    assert proc.returncode == 0, out
