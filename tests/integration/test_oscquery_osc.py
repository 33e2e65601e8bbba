"""OSCQuery's namespace drives the show: a value of the advertised TYPE, sent with liblo's
`oscsend` to the advertised FULL_PATH, reaches a real OSC server and hub and changes a real
sequencer's show; and the announcement is found over zeroconf by an independent browser.

The show side is the runtime's own: `StatusBuilder` (the status and the input ranges the
hub checks at the door) and `Sequencer.apply` of what `hub.drain()` hands out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from zeroconf import IPVersion, ServiceBrowser, ServiceListener, Zeroconf

from performance.config import DEFAULT_CUES
from performance.console.announce import OSC_UDP_TYPE, OSCJSON_TYPE, Announcer
from performance.console.oscquery import HostInfo, find, namespace, respond
from performance.control import ControlHub, OscServer, RigStatus
from performance.core.types import CrowdReading, RoomEmotion
from performance.runtime.assemble import shader_catalog
from performance.runtime.showstatus import StatusBuilder
from performance.show.cuefile.load import load_cue_file
from performance.show.sequencer import Sequencer
from tests.integration.conftest import LOCAL, oscsend, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60),
              pytest.mark.usefixtures("liblo_tools")]

PROBE = """\
#version 330
/* {
  "INPUTS": [
    {"NAME": "tint", "TYPE": "color", "DEFAULT": [1.0, 1.0, 1.0, 1.0], "LABEL": "Tint"},
    {"NAME": "strobe", "TYPE": "bool", "DEFAULT": false, "LABEL": "Strobe"},
    {"NAME": "centre", "TYPE": "point2D", "DEFAULT": [0.5, 0.5], "MIN": [0.0, 0.0],
     "MAX": [1.0, 1.0], "LABEL": "Centre"},
    {"NAME": "rings", "TYPE": "int", "DEFAULT": 3, "MIN": 1, "MAX": 12, "LABEL": "Rings"}
  ]
} */
out vec4 fragColor;
void main() { fragColor = in_tint; }
"""
PROBE_SHOW = """\
[[act]]
number = 1
name = "Probe"

[[cue]]
id = "1"
name = "Probe lit"
act = 1
visual = "probe"
"""


@dataclass
class Stage:
    """A show run as the runtime runs it, its OSC server and hub on free loopback ports."""

    seq: Sequencer
    hub: ControlHub
    server: OscServer
    builder: StatusBuilder
    now: float = 1.0

    @property
    def port(self) -> int:
        assert self.server.udp_address is not None
        return self.server.udp_address[1]

    def frame(self) -> RigStatus:
        """One frame: apply what OSC sent, tick, publish the status (as services.py)."""
        self.now += 0.05
        for command in self.hub.drain():
            self.seq.apply(command, self.now)
        self.hub.settle(self.seq.take_receipts())
        shown = self.seq.tick(self.now, RoomEmotion(self.now))
        ranges = self.builder.visual_changed(self.seq, shown.current.visual)
        if ranges is not None:
            self.hub.set_param_ranges(ranges)
        status = self.builder.build(self.seq, CrowdReading(), fps=30.0, health="ok",
                                    stats=None, show_mode=self.hub.show_mode, report="",
                                    recording=False, sound="off", input_health="ok")
        self.hub.publish(status)
        return status

    def until(self, done: object, timeout: float = 3.0) -> RigStatus:
        """Run frames until `done(status)` holds (bounded)."""
        assert callable(done)
        status = [self.frame()]

        def step() -> bool:
            status[0] = self.frame()
            return bool(done(status[0]))

        assert wait_for(step, timeout), f"not reached; status: {status[0]}"
        return status[0]

    def send(self, node: dict[str, object], *values: float | str) -> None:
        """Send what the OSCQuery node advertises: its FULL_PATH, its TYPE, `values`."""
        tags = str(node["TYPE"])
        oscsend(self.port, str(node["FULL_PATH"]), tags, *(str(v) for v in values))


def stage_for(show: Path, shaders: Path | None = None) -> Iterator[Stage]:
    hub = ControlHub()
    server = OscServer(hub, host=LOCAL, udp_port=0, tcp_port=None)
    server.start()
    try:
        yield Stage(Sequencer(load_cue_file(show, shader_catalog(shaders))), hub, server,
                    StatusBuilder())
    finally:
        server.stop()


@pytest.fixture
def neo_lumen() -> Iterator[Stage]:
    yield from stage_for(DEFAULT_CUES)


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[Stage]:
    (tmp_path / "probe.frag").write_text(PROBE)
    (tmp_path / "show.toml").write_text(PROBE_SHOW)
    yield from stage_for(tmp_path / "show.toml", tmp_path)


def test_the_advertised_go_and_input_change_the_running_show(neo_lumen: Stage) -> None:
    stage = neo_lumen
    status = stage.frame()
    assert status.cue_id is None
    go = find(namespace(status), "/essence/go")
    assert go is not None and go["TYPE"] == "N" and go["ACCESS"] == 2
    stage.send(go)  # a momentary button: one OSC nil
    status = stage.until(lambda s: s.cue_id == "0")
    assert status.next_cue_id == "1"
    qlab_go = find(namespace(status), "/go")  # the QLab-level transport does the same
    assert qlab_go is not None
    stage.now += stage.seq.options.min_go_interval  # a second GO, not a double press
    stage.send(qlab_go)
    status = stage.until(lambda s: s.cue_id == "1" and s.input_rows)
    tree = namespace(status)
    node = find(tree, "/essence/param/intensity")  # the enclave's; no act 1 mapping moves it
    assert node is not None and node["TYPE"] == "f" and node["ACCESS"] == 3
    (bounds,) = node["RANGE"]  # type: ignore[misc]
    target = (bounds["MIN"] + 3 * bounds["MAX"]) / 4  # 1.5 in [0, 2]: exact in float32
    assert node["VALUE"] != [target]
    stage.send(node, target)
    status = stage.until(lambda s: dict(s.inputs).get("intensity") == target)
    assert dict(stage.seq.status().inputs)["intensity"] == target
    info = HostInfo("Essence rig", LOCAL, stage.port, None)
    assert respond("/essence/param/intensity", "VALUE", status, info) == (
        200, {"VALUE": [target]})


def test_colour_bool_point_and_int_inputs_take_their_advertised_types(probe: Stage) -> None:
    stage = probe
    stage.send(find(namespace(stage.frame()), "/essence/go"))  # type: ignore[arg-type]
    tree = namespace(stage.until(lambda s: s.cue_id == "1" and s.input_rows))
    sent: dict[str, tuple[float, ...]] = {
        "tint": (0.25, 0.5, 0.75, 1.0), "strobe": (1,), "centre": (0.125, 0.875),
        "rings": (7,)}
    expected_tags = {"tint": "ffff", "strobe": "i", "centre": "ff", "rings": "i"}
    for name, values in sent.items():
        node = find(tree, f"/essence/param/{name}")
        assert node is not None and node["TYPE"] == expected_tags[name]
        stage.send(node, *values)

    def applied(status: RigStatus) -> bool:
        now = dict(status.inputs)
        return all(now.get(n) == (v if len(v) > 1 else float(v[0])) for n, v in sent.items())

    status = stage.until(applied)
    assert find(namespace(status), "/essence/param/tint")["VALUE"] == [0.25, 0.5, 0.75, 1.0]  # type: ignore[index]
    assert find(namespace(status), "/essence/param/strobe")["VALUE"] == [1]  # type: ignore[index]


class Found(ServiceListener):
    """What a zeroconf browser saw: service name -> port (None until resolved)."""

    def __init__(self) -> None:
        self.ports: dict[str, int | None] = {}
        self.lock = threading.Lock()

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        info = zc.get_service_info(type_, name, timeout=3000)
        with self.lock:
            self.ports[name] = info.port if info is not None else None

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.add_service(zc, type_, name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        with self.lock:
            self.ports.pop(name, None)


def test_the_announcement_is_found_on_loopback_and_withdrawn() -> None:
    name = f"Essence test {time.monotonic_ns() % 100000}"
    announcer = Announcer(name, LOCAL, 18088, LOCAL, 53100)
    started = time.monotonic()
    announcer.start()
    assert time.monotonic() - started < 0.5  # registration runs in zeroconf's thread
    browser_zc = Zeroconf(interfaces=[LOCAL], ip_version=IPVersion.V4Only)
    found, osc = Found(), Found()
    try:
        ServiceBrowser(browser_zc, OSCJSON_TYPE, found)
        ServiceBrowser(browser_zc, OSC_UDP_TYPE, osc)
        full = f"{name}.{OSCJSON_TYPE}"
        assert wait_for(lambda: found.ports.get(full) == 18088, timeout=10.0), found.ports
        info = browser_zc.get_service_info(OSCJSON_TYPE, full, timeout=3000)
        assert info is not None and info.parsed_addresses() == [LOCAL]
        assert wait_for(lambda: osc.ports.get(f"{name}.{OSC_UDP_TYPE}") == 53100,
                        timeout=10.0), osc.ports
        announcer.stop()
        assert wait_for(lambda: full not in found.ports, timeout=5.0)  # the goodbye
    finally:
        announcer.stop()
        browser_zc.close()


def test_without_multicast_start_warns_once_and_carries_on(
    caplog: pytest.LogCaptureFixture
) -> None:
    announcer = Announcer("Essence rig", "192.0.2.254", 18088, LOCAL, None)  # not ours
    announcer.start()
    announcer.stop()
    warnings = [r for r in caplog.records if r.name == "performance.console.announce"]
    assert len(warnings) == 1 and "not announced" in warnings[0].getMessage()
