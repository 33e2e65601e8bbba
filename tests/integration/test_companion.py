"""End to end with a real peer: Bitfocus Companion's QLab module drives a headless show.

The module (../shared/peers/companion-module-figure53-qlab-advance, v2.14.1, run unchanged
from there) runs in node through tests/integration/companion/harness.mjs, whose stand-in
for Companion's `InstanceBase` records what Companion would show: the connection status
and the variables (`n_name`: the next cue's name, `r_name`: the running cue's). The rig is
the real `essence run --headless` with act 1 of cues/neo_lumen.toml (waits shortened:
tests/data/companion_act.toml). Over TCP the module is the
client QLab users know (status, variables); over UDP it only sends (the module defines no
variables in UDP mode), so a second, plain TCP subscriber watches the show there.
`make testdata` installs the module's two npm packages into .cache/companion first.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from performance.control.wire import StreamDecoder, build_message, parse_packet, slip_encode
from tests.integration.conftest import free_udp_port

pytestmark = [pytest.mark.integration, pytest.mark.gl, pytest.mark.timeout(150)]

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "companion"
MODULE = ROOT.parent / "shared" / "peers" / "companion-module-figure53-qlab-advance"
CUES = ROOT / "tests" / "data" / "companion_act.toml"  # act 1 of neo_lumen, shorter waits
HARNESS = Path(__file__).resolve().parent / "companion" / "harness.mjs"
QLAB_PORT = 53000  # the module sends UDP only here (and listens on 53001)
PASSCODE = "2468"
NAMES = {"0": "House dark", "1": "The gates of Neo-Lumen",
         "1.5": "Empathy Codes scanned at the threshold",
         "2": "Access denied: the enclave seals"}


def _installed() -> bool:
    spec = importlib.util.spec_from_file_location(
        "fetch_companion", ROOT / "tools" / "fetch_companion.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return bool(module.installed(CACHE))


def _require_peer() -> None:
    """Fail (never skip) when the peer cannot run: CI must not pass without it."""
    if shutil.which("node") is None:
        pytest.fail("node not found: the Companion test needs node >= 18 (apt-get install nodejs)")
    if not MODULE.is_dir():
        pytest.fail(f"the Companion QLab module is not at {MODULE}")
    if not _installed():
        pytest.fail(f"@companion-module/base and osc are not installed in {CACHE}: "
                    "run `make testdata`")


class Companion:
    """The QLab module in node, one JSON line per order (see harness.mjs)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(HARNESS), str(MODULE)], cwd=HARNESS.parent, text=True,
            env={**os.environ, "COMPANION_CACHE": str(CACHE)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def order(self, **order: object) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(order) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            stderr = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"the Companion harness ended: {stderr[-2000:]}")
        answer: dict[str, object] = json.loads(line)
        assert "error" not in answer, answer["error"]
        return answer

    def action(self, action_id: str, **options: object) -> None:
        self.order(do="action", id=action_id, options=options)

    def report(self) -> tuple[list[list[str | None]], dict[str, object], list[list[str]]]:
        got = self.order(do="report")
        return got["statuses"], got["variables"], got["logs"]  # type: ignore[return-value]

    def variable(self, name: str) -> object:
        return self.report()[1].get(name)

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(AssertionError, OSError):
                self.order(do="end")
            self.proc.kill()
        self.proc.wait(timeout=10)


class Watcher:
    """A plain TCP subscriber (SLIP): what the show says its current cue is."""

    def __init__(self, port: int, passcode: str) -> None:
        self.values: dict[str, object] = {}
        deadline = time.monotonic() + 40.0
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("the rig never listened on TCP") from None
                time.sleep(0.3)
        if passcode:
            self.sock.sendall(slip_encode(build_message("/connect", [passcode])))
        self.sock.sendall(slip_encode(build_message("/updates", [1])))
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        decoder = StreamDecoder(1 << 20)
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            for packet in decoder.feed(data):
                for message in parse_packet(packet):
                    if message.args:
                        self.values[message.address] = message.args[0]

    def cue(self) -> object:
        return self.values.get("/essence/status/cue")

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        self._thread.join(timeout=2)


def until(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _ports_free() -> None:
    """The module's UDP ports are fixed (QLab's): wait a little for a previous run's
    processes to let go of them, then fail clearly if something still holds them."""

    def free(kind: int, port: int) -> bool:
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    wanted = ((socket.SOCK_DGRAM, QLAB_PORT), (socket.SOCK_DGRAM, QLAB_PORT + 1),
              (socket.SOCK_STREAM, QLAB_PORT))
    deadline = time.monotonic() + 15.0
    while not all(free(kind, port) for kind, port in wanted):
        if time.monotonic() > deadline:
            pytest.fail(f"ports {QLAB_PORT}/{QLAB_PORT + 1} are taken: the QLab module over "
                        "UDP needs them (QLab's own ports)")
        time.sleep(0.3)


@pytest.fixture
def rig_factory() -> Iterator[Callable[[int, str], subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(port: int, passcode: str) -> subprocess.Popen[str]:
        env = {**os.environ, "ESSENCE_OSC_PASSCODE": passcode}
        proc = subprocess.Popen(
            [sys.executable, "-m", "performance", "run", "--headless", "--input", "scripted",
             "--cues", str(CUES), "--osc-port", str(port),
             "--size", "96x54", "--fps", "30", "--seconds", "90", "--no-sound"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


@pytest.mark.parametrize("passcode", ["", PASSCODE], ids=["open", "passcode"])
@pytest.mark.parametrize("tcp", [True, False], ids=["tcp", "udp"])
def test_companion_qlab_module_runs_an_act(
    rig_factory: Callable[[int, str], subprocess.Popen[str]], tcp: bool, passcode: str
) -> None:
    _require_peer()
    if not tcp:
        _ports_free()
    port = free_udp_port() if tcp else QLAB_PORT
    proc = rig_factory(port, passcode)
    watcher = Watcher(port, passcode)
    companion = Companion()
    try:
        _run_act(companion, watcher, proc, port, tcp, passcode)
    finally:
        companion.close()
        watcher.close()


def _run_act(companion: Companion, watcher: Watcher, proc: subprocess.Popen[str], port: int,
             tcp: bool, passcode: str) -> None:
    companion.order(do="init", config={
        "host": "127.0.0.1", "port": port, "useTCP": tcp, "passcode": passcode,
        "workspace": "default", "cuelist": "default", "useTenths": False,
        "exposeVariables": False})
    until(lambda: bool(companion.report()[0]) and companion.report()[0][-1][0] == "ok",
          "the module's status ok", timeout=25.0)
    time.sleep(6.0)  # past the module's 5 s re-check (where it used to fail)
    if tcp:
        until(lambda: companion.variable("n_name") == NAMES["0"], "next cue name")

    def shows(cue: str) -> None:
        try:
            until(lambda: watcher.cue() == cue, f"the show on cue {cue}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the show said {watcher.values}; the module logged "
                                 f"{companion.report()[2][-12:]}") from None
        if tcp:
            until(lambda: companion.variable("r_name") == NAMES[cue], f"running {cue}")

    companion.action("go")  # GO: the house goes dark
    shows("0")
    if tcp:
        until(lambda: companion.variable("n_name") == NAMES["1"], "next: cue 1")
    companion.action("goto", cue="2")  # go to cue 2: the playhead moves, nothing fires
    if tcp:
        until(lambda: companion.variable("n_name") == NAMES["2"], "next: cue 2")
    companion.action("new_Go", scope="N", q_num="1")  # /cue/1/go: fire cue 1
    shows("1")
    companion.action("go")  # GO: 1.5, which continues to 2 by itself: the end of act 1
    shows("1.5")
    shows("2")
    companion.action("stop")
    companion.action("panic")
    until(lambda: watcher.values.get("/essence/status/state") == "panic", "panic")
    if tcp:
        until(lambda: companion.variable("r_id") == "", "nothing running after panic")
    # a double-tapped GO at the end of the list: `end of list`, then `too soon`. Both are
    # `error`: the module takes any `denied` for a wrong passcode and turns red for good
    companion.action("go")
    companion.action("go")
    until(lambda: any("returned an error" in entry[1] for entry in companion.report()[2]),
          "the refused GO answered")
    time.sleep(0.5)  # the second answer too
    statuses, _, logs = companion.report()
    first_ok = next(i for i, s in enumerate(statuses) if s[0] == "ok")
    assert all(s[0] == "ok" for s in statuses[first_ok:]), statuses
    assert not [entry for entry in logs if entry[0] in ("error", "warn")], logs
    # a QLab client is sent only what QLab sends (/update/..., /reply/...), nothing it
    # would log as unknown, though the watcher beside it gets every /essence/status push
    assert not [entry for entry in logs if "Unknown response" in entry[1]], logs
    assert "/essence/status/act" in watcher.values
    assert proc.poll() is None, "the rig ended early"
