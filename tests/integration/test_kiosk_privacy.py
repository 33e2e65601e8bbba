"""Privacy, tested: a whole kiosk show on a real face clip (the real face model, perception
in its own process, sound, OSC) writes no image, no video and no per-face record anywhere,
and connects to nothing but the configured OSC peers on this machine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.rig_process import descendants

ROOT = Path(__file__).resolve().parents[2]
ESSENCE = [sys.executable, "-m", "performance"]
MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP",
         b"\x1a\x45\xdf\xa3": "Matroska/WebM", b"RIFF": "RIFF (AVI/WAV)", b"\x93NUMPY": "npy",
         b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}
STATE_FILES = {"resume.json", "starts.json", "health.json", "essence.log", "kiosk.lock",
               "last_good_show.toml"}

pytestmark = pytest.mark.integration


def image_kind(path: Path) -> str | None:
    head = path.read_bytes()[:16]
    if head[4:8] == b"ftyp":
        return "MP4/MOV"
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)


def remote_peers(pids: list[int]) -> set[str]:
    """The remote ends (ip:port) of every inet socket the processes hold."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    peers = set()
    for table in ("tcp", "udp", "tcp6", "udp6"):
        try:
            rows = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[9] in inodes:
                addr, port = cols[2].split(":")
                if len(addr) == 8:  # IPv4, little-endian hex
                    ip = ".".join(str(int(addr[i:i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    ip = "::1" if addr.endswith("01000000") and set(addr[:24]) == {"0"} \
                        else ("::" if set(addr) == {"0"} else addr)
                peers.add(f"{ip}:{int(port, 16)}")
    return peers


def test_a_kiosk_show_writes_no_image_or_face_record_and_talks_only_to_its_peers(
        tmp_path: Path, testdata: Path) -> None:
    home, state, work = tmp_path / "home", tmp_path / "state", tmp_path / "work"
    for folder in (home, state, work, tmp_path / "tmp"):
        folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "NOTIFY_"))}
    env.update(HOME=str(home), TMPDIR=str(tmp_path / "tmp"), ESSENCE_STATE_DIR=str(state),
               ALSA_CONFIG_PATH=str(ROOT / "tests" / "data" / "alsa-null.conf"),
               PYTHONPATH=str(ROOT), ESSENCE_HEALTH_EVERY="0.5")
    clip = testdata / "WolfgangLanger_Pexels.mp4"
    proc = subprocess.Popen([*ESSENCE, "kiosk", "--headless", "--size", "320x180",
                             "--input", str(clip), "--loop", "--auto-go", "0.5",
                             "--osc-port", "53119"], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peers: set[str] = set()
    faces_seen = 0
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and faces_seen < 8:  # until faces were tracked a while
            peers |= remote_peers([proc.pid, *descendants(proc.pid)])
            try:
                health = json.loads((state / "health.json").read_text())
                faces_seen += health.get("faces", 0) > 0
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert faces_seen >= 8, "the clip's faces were never tracked: the test proves nothing"
    created = [p for p in tmp_path.rglob("*") if p.is_file()]
    images = {str(p): kind for p in created if (kind := image_kind(p)) is not None}
    assert images == {}
    assert {p.name for p in state.iterdir()} <= STATE_FILES
    for path in created:
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert "blendshape" not in text and "bbox" not in text, path  # no per-face record
    health = json.loads((state / "health.json").read_text())
    assert all(not isinstance(v, list) for v in health.values())  # counts, not people
    # listening sockets show 0.0.0.0:0; the only peers are this machine's (cue OSC out to
    # the show's lighting desk at 127.0.0.1:8000)
    assert {p.rsplit(":", 1)[0] for p in peers} <= {"0.0.0.0", "127.0.0.1", "::", "::1"}, peers
