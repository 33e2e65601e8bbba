"""The web console in a real headless chromium, served by `ConsoleLaunch` with a real
`ControlHub`, a real `OscServer` (UDP, for `oscsend`) and a real show loop in a thread
running cues/neo_lumen.toml: the cue list is drawn, GO fires the standby cue, two pages see
one playhead, a slider moves an input and the page follows OSC, show mode refuses editing,
a page from another origin is refused, and nothing of the camera leaves unless opted in."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import multiprocessing as mp
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp
import numpy as np
import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from performance.config import DEFAULT_CUES
from performance.console.launch import ConsoleLaunch, RunningConsole
from performance.console.options import ConsoleOptions
from performance.console.pictures import Picture, PictureBlocks, PictureKind, PictureSink
from performance.console.server import ConsoleServer
from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.options import HubOptions
from performance.control.server import OscServer
from performance.core.clock import MonotonicClock
from performance.core.errors import ConfigError
from performance.core.status import SoundState
from performance.core.types import CrowdReading, RoomEmotion
from performance.runtime.assemble import shader_catalog
from performance.runtime.showstatus import StatusBuilder
from performance.show.cuefile.load import load_cue_file
from performance.show.sequencer import Sequencer
from performance.show.status import SequencerStatus
from tests import browser
from tests.integration.conftest import wait_until

CUES = load_cue_file(DEFAULT_CUES, shader_catalog())
SPAWN = mp.get_context("spawn")
UNLOCK = "letmein"


def _picture(shade: int, taken: float) -> Picture:
    width, height = 32, 18
    rgb = np.full((height, width, 3), shade, np.uint8)
    rgb[:, : width // 2, 0] = 255 - shade
    return Picture(width, height, rgb.tobytes(), taken)


@dataclass
class Show:
    """A show loop in a thread: hub -> sequencer -> published status, every 20 ms."""

    hub: ControlHub
    sink: PictureSink
    seq: Sequencer = field(default_factory=lambda: Sequencer(CUES))
    status: SequencerStatus | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        builder, clock, frames = StatusBuilder(), self.hub.clock, 0
        while not self.stop.is_set():
            now = clock.now()
            for command in self.hub.drain():
                self.seq.apply(command, now)
            crowd = CrowdReading(face_count=2.0, valence=0.3, arousal=-0.2, chaos=0.1)
            frame = self.seq.tick(now, RoomEmotion(timestamp=now, crowd=crowd))
            self.hub.settle(self.seq.take_receipts())
            self.seq.locked = self.hub.show_mode
            ranges = builder.visual_changed(self.seq, frame.current.visual)
            if ranges is not None:
                self.hub.set_param_ranges(ranges)
            self.hub.publish(builder.build(
                self.seq, crowd, fps=60.0, health="ok", stats=None,
                show_mode=self.hub.show_mode, report="", recording=False, sound=SoundState.OK,
                input_health="live"))
            self.status = self.seq.status()
            if frames % 25 == 0:  # a stage thumbnail every half second, as the render's
                self.sink.put(PictureKind.STAGE, _picture(frames % 200, now))
                self.sink.put(PictureKind.CAMERA, _picture(50, now))  # refused unless opted in
            frames += 1
            time.sleep(0.02)


@dataclass
class Rig:
    hub: ControlHub
    show: Show
    osc: OscServer
    console: RunningConsole
    blocks: PictureBlocks

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.console.address[1]}/"


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    clock = MonotonicClock()
    show_seq = Sequencer(CUES)
    hub = ControlHub(HubOptions(unlock_code=UNLOCK), clock=clock, go_gate=show_seq.go_gate)
    osc = OscServer(hub, host="127.0.0.1", udp_port=0, tcp_port=None, reply_port=0)
    osc.start()
    blocks = PictureBlocks.create(SPAWN, camera=False)
    show = Show(hub, PictureSink(blocks), seq=show_seq)
    thread = threading.Thread(target=show.run, daemon=True)
    thread.start()
    console = ConsoleLaunch(ConsoleOptions(port=0, oscquery_port=0), blocks).start(
        hub, announce=False)
    try:
        yield Rig(hub, show, osc, console, blocks)
    finally:
        console.stop()
        show.stop.set()
        thread.join(2.0)
        osc.stop()


_text = browser.text
_attr = browser.attribute


def _ids(driver: webdriver.Chrome) -> list[str]:
    """The cue rows' ids in page order, read in one call."""
    return list(driver.execute_script(
        "return Array.from(document.querySelectorAll('#cue-list .cue'))"
        ".map(e => e.getAttribute('data-cue-id'));"))


def _running(rig: Rig) -> str | None:
    return rig.show.status.cue_id if rig.show.status is not None else None


def _grain(rig: Rig) -> float:
    value = dict(rig.show.status.inputs).get("grain") if rig.show.status else None
    return float(value) if isinstance(value, float | int) else float("nan")


def _slide(driver: webdriver.Chrome, name: str, value: float) -> None:
    driver.execute_script(
        "const r = document.querySelector(arguments[0]); r.value = arguments[1];"
        "r.dispatchEvent(new Event('input', {bubbles: true}));",
        f"#input-{name} input[type=range]", value)


def test_the_page_shows_the_cue_list_by_act_with_the_standby_cue(
        rig: Rig, driver: webdriver.Chrome) -> None:
    shot = browser.screenshot(driver, rig.url, "#cue-list .cue",
                              count=len(CUES.cues), timeout=20)
    assert shot.std() > 20  # drawn, not a blank page
    assert _ids(driver) == [cue.id for cue in CUES.cues]
    acts = driver.execute_script("return Array.from(document.querySelectorAll("
                                 "'#cue-list .act h3')).map(e => e.innerText);")
    assert len(acts) == len(CUES.acts) and CUES.acts[0].name in acts[0]
    first = CUES.cues[0]
    assert _text(driver, "#standby-id") == first.id
    assert _text(driver, "#standby-name") == first.name
    assert _attr(driver, "#cue-list .cue.playhead", "data-cue-id") == first.id
    assert wait_until(lambda: _text(driver, "#faces") == "2", 5)
    assert wait_until(lambda: (_attr(driver, "#stage-thumb", "src") or "")
                      .startswith("data:image/jpeg"), 5)
    assert not driver.find_elements(By.ID, "camera")


def test_go_on_the_page_fires_the_standby_cue_and_two_pages_see_it(
        rig: Rig, driver: webdriver.Chrome) -> None:
    driver.find_element(By.ID, "go").click()
    first, second = CUES.cues[0], CUES.cues[1]
    assert wait_until(lambda: _running(rig) == first.id, 5), rig.show.status
    assert wait_until(lambda: _text(driver, "#standby-id") == second.id, 5)
    assert _attr(driver, "#cue-list .cue.running", "data-cue-id") == first.id
    assert wait_until(lambda: _text(driver, "#reply").startswith("ok"), 5)
    one = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(rig.url)
    assert wait_until(lambda: _text(driver, "#standby-id") == second.id, 10)
    driver.find_element(By.ID, "go").click()  # from page two
    assert wait_until(lambda: _running(rig) == second.id, 5)
    for handle in (driver.current_window_handle, one):
        driver.switch_to.window(handle)
        assert wait_until(lambda: _attr(driver, "#cue-list .cue.playhead", "data-cue-id")
                          == CUES.cues[2].id, 5)
    driver.switch_to.window(driver.window_handles[-1])
    driver.close()
    driver.switch_to.window(one)


def test_a_slider_moves_the_input_and_the_page_follows_oscsend(
        rig: Rig, driver: webdriver.Chrome) -> None:
    assert wait_until(lambda: driver.find_elements(By.ID, "input-grain"), 5)
    _slide(driver, "grain", 0.55)
    assert wait_until(lambda: abs(_grain(rig) - 0.55) < 1e-6, 5), _grain(rig)  # OSC's float32
    assert rig.osc.udp_address is not None
    port = rig.osc.udp_address[1]
    subprocess.run(["oscsend", "127.0.0.1", str(port), "/essence/param/grain", "f", "0.85"],
                   check=True, timeout=5)
    assert wait_until(lambda: _text(driver, "#input-grain .value") == "0.850", 6)
    value = driver.execute_script(
        "return document.querySelector('#input-grain input').value")
    assert float(value) == pytest.approx(0.85, abs=1e-3)


def test_show_mode_locks_editing_and_the_page_shows_the_refusal(
        rig: Rig, driver: webdriver.Chrome) -> None:
    before = _grain(rig)
    driver.find_element(By.ID, "showmode").click()
    assert wait_until(lambda: rig.hub.show_mode, 5)
    assert wait_until(lambda: "show-mode" in (driver.find_element(By.TAG_NAME, "body")
                                              .get_attribute("class") or ""), 5)
    _slide(driver, "grain", 0.1)
    assert wait_until(lambda: "error: show mode" in _text(driver, "#reply"), 5)
    time.sleep(0.3)  # several show frames
    assert _grain(rig) == before
    driver.find_element(By.ID, "go").click()  # GO still works
    assert wait_until(lambda: _running(rig) == CUES.cues[2].id, 5)
    driver.find_element(By.ID, "showmode").click()  # leave:
    assert wait_until(lambda: "denied: unlock code needed" in _text(driver, "#reply"), 5)
    driver.execute_script("send({op: 'connect', code: arguments[0]});"
                          "setTimeout(() => send({op: 'showmode', on: 0}), 200);", UNLOCK)
    assert wait_until(lambda: not rig.hub.show_mode, 5)


async def _record(url: str, seconds: float, origin: str | None = None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(
            url + "ws", origin=origin) as ws:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            out.append(json.loads(message.data))
    return out


def test_a_websocket_from_another_origin_is_refused(rig: Rig) -> None:
    host = f"127.0.0.1:{rig.console.address[1]}"
    for origin in ("http://evil.example", f"http://evil.example:{rig.console.address[1]}",
                   "null"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            asyncio.run(_record(rig.url, 0.5, origin))
        assert refused.value.status == 403
    same = asyncio.run(_record(rig.url, 0.5, f"http://{host}"))
    assert same[0]["type"] == "hello"


def test_the_default_traffic_carries_no_camera_data(rig: Rig) -> None:
    html = asyncio.run(_fetch(rig.url))
    assert 'id="camera"' not in html
    messages = asyncio.run(_record(rig.url, 2.5))
    assert messages[0] == {"type": "hello", "version": 1, "page": messages[0]["page"],
                           "needs_passcode": False, "pictures": ["stage"], "camera": False}
    kinds = {m["kind"] for m in messages if m["type"] == "picture"}
    assert kinds == {"stage"}
    assert "camera" not in json.dumps([m for m in messages if m["type"] != "hello"])


async def _fetch(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.text()


def test_the_camera_preview_flows_only_when_opted_in(rig: Rig, driver: webdriver.Chrome) -> None:
    blocks = PictureBlocks.create(SPAWN, camera=True)
    sink = PictureSink(blocks)
    sink.put(PictureKind.CAMERA, _picture(120, 1.0))
    sink.put(PictureKind.STAGE, _picture(10, 1.0))
    console = ConsoleLaunch(ConsoleOptions(port=0, oscquery_port=0, camera=True), blocks
                            ).start(rig.hub, announce=False)
    try:
        url = f"http://127.0.0.1:{console.address[1]}/"
        messages = asyncio.run(_record(url, 1.0))
        assert messages[0]["camera"] is True
        assert {m["kind"] for m in messages if m["type"] == "picture"} == {"stage", "camera"}
        driver.get(url)
        assert wait_until(lambda: (_attr(driver, "#camera", "src") or "")
                          .startswith("data:image"), 5)
    finally:
        console.stop()


def test_a_taken_port_and_too_many_pages_are_refused_in_one_line(rig: Rig) -> None:
    taken = rig.console.address[1]
    with pytest.raises(ConfigError, match=rf"^--console: cannot listen on 127\.0\.0\.1:{taken}"):
        ConsoleLaunch(ConsoleOptions(port=taken, oscquery_port=0), rig.blocks).start(
            rig.hub, announce=False)
    server = ConsoleServer(rig.hub, ConsoleOptions(port=0, oscquery_port=0), max_pages=1)
    server.start()
    try:
        assert server.address is not None
        url = f"http://127.0.0.1:{server.address[1]}/ws"

        async def two() -> tuple[str, int | None, str]:
            async with aiohttp.ClientSession() as session, session.ws_connect(url) as first:
                hello = json.loads((await first.receive(timeout=2)).data)["type"]
                async with session.ws_connect(url) as second:
                    message = await second.receive(timeout=2)
                    return hello, second.close_code, str(message.extra)

        hello, code, reason = asyncio.run(two())
        assert (hello, code) == ("hello", 1013) and reason == "console full: 1 pages open"
    finally:
        server.stop()


async def _commands(url: str, commands: list[dict[str, object]]) -> list[dict[str, object]]:
    """The hello, then the immediate reply (or none) to each command, in order."""
    out: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url + "ws") as ws:
        while not out:
            message = json.loads((await ws.receive(timeout=2)).data)
            if message["type"] == "hello":
                out.append(message)
        for command in commands:
            await ws.send_str(json.dumps(command))
            reply: dict[str, object] = {}
            with contextlib.suppress(TimeoutError):
                while not reply:
                    message = json.loads((await ws.receive(timeout=0.4)).data)
                    reply = message if message["type"] == "reply" else {}
            out.append(reply)
    return out


def test_the_passcode_is_asked_only_of_a_console_bound_wider() -> None:
    for host, asked in (("127.0.0.1", False), ("0.0.0.0", True)):
        hub = ControlHub(HubOptions(passcode="pw"))
        server = ConsoleServer(hub, ConsoleOptions(host=host, port=0, oscquery_port=0,
                                                   passcode="pw"))
        server.start()
        try:
            assert server.address is not None
            url = f"http://127.0.0.1:{server.address[1]}/"
            hello, first, connect, second = asyncio.run(_commands(url, [
                {"op": "blackout"}, {"op": "connect", "code": "pw"}, {"op": "blackout"}]))
            assert hello["needs_passcode"] is asked
            assert first == ({"type": "reply", "address": "/essence/blackout",
                              "status": "denied", "data": "connect first"} if asked else {})
            assert (connect["status"], second) == ("ok", {})  # queued for the show
            assert len(hub.take_requests()) == (1 if asked else 2)
        finally:
            server.stop()


def _get(port: int, path: str, host: str) -> tuple[int, dict[str, str]]:
    """GET `path` from 127.0.0.1:`port` with the given Host header: (status, headers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        conn.close()


def test_the_page_forbids_framing_and_the_page_still_draws_under_its_policy(
        rig: Rig, driver: webdriver.Chrome) -> None:
    port = rig.console.address[1]
    for path in ("/", "/static/console.js", "/static/inputs.js", "/static/console.css"):
        status, headers = _get(port, path, f"127.0.0.1:{port}")
        assert status == 200, path
        assert headers["X-Frame-Options"] == "DENY"
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    driver.get(rig.url)
    assert wait_until(lambda: driver.execute_script(  # built bars: no inline style needed
        "const b = document.querySelector('#emotions .meter div');"
        "return b ? b.style.width : '';"), 5)
    assert wait_until(lambda: _attr(driver, "#cue-list .cue", "data-cue-id"), 5)


def test_a_forged_host_is_refused_on_a_loopback_and_on_a_wide_console(rig: Rig) -> None:
    port = rig.console.address[1]
    assert _get(port, "/", f"evil.example:{port}")[0] == 403
    assert _get(port, "/ws", f"evil.example:{port}")[0] == 403
    assert rig.console.oscquery_address is not None
    query = rig.console.oscquery_address[1]
    assert _get(query, "/", f"evil.example:{query}")[0] == 403
    assert _get(query, "/", f"127.0.0.1:{query}")[0] == 200
    wide = ConsoleServer(ControlHub(), ConsoleOptions(host="0.0.0.0", port=0, oscquery_port=0))
    wide.start()
    try:
        assert wide.address is not None and wide.oscquery_address is not None
        port, query = wide.address[1], wide.oscquery_address[1]
        assert _get(port, "/", f"evil.example:{port}")[0] == 403
        assert _get(port, "/", f"127.0.0.1:{port}")[0] == 200
        assert _get(port, "/", f"{socket.gethostname()}:{port}")[0] == 200
        assert _get(query, "/", f"evil.example:{query}")[0] == 403
    finally:
        wide.stop()


def test_a_passcode_console_shows_nothing_before_the_passcode_and_caps_each_host_and_oscquery_too(
) -> None:
    hub = ControlHub(HubOptions(passcode="pw"))
    hub.publish(RigStatus(faces=4))
    server = ConsoleServer(hub, ConsoleOptions(host="0.0.0.0", port=0, oscquery_port=0,
                                               passcode="pw"), max_pages_per_host=2)
    osc = OscServer(hub, host="127.0.0.1", udp_port=0, tcp_port=None, reply_port=0)
    server.start()
    try:
        assert server.address is not None and server.oscquery_address is not None
        url = f"http://127.0.0.1:{server.address[1]}/ws"

        async def visit() -> tuple[list[str], list[str], int | None, str]:
            async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws, \
                    session.ws_connect(url) as other:
                before = [json.loads((await ws.receive(timeout=2)).data)["type"]]
                with contextlib.suppress(TimeoutError):
                    while True:  # 1 s: states change 10 times a second, none may come
                        before.append(json.loads((await ws.receive(timeout=1.0)).data)["type"])
                await ws.send_str(json.dumps({"op": "connect", "code": "pw"}))
                after: list[str] = []
                with contextlib.suppress(TimeoutError):
                    while "state" not in after:
                        after.append(json.loads((await ws.receive(timeout=2)).data)["type"])
                async with session.ws_connect(url) as third:  # a third page from this host
                    message = await third.receive(timeout=2)
                    assert not other.closed
                    return before, after, third.close_code, str(message.extra)

        before, after, code, reason = asyncio.run(visit())
        assert before == ["hello"]
        assert after[0] == "reply" and {"history", "cues", "state"} <= set(after)
        assert (code, reason) == (1013, "console full: 2 pages open from 127.0.0.1")
        query = server.oscquery_address[1]  # the pages are closed: nobody here connected
        assert _get(query, "/essence/status/faces?VALUE", f"127.0.0.1:{query}")[0] == 403
        assert _get(query, "/essence/status", f"127.0.0.1:{query}")[0] == 403
        with urllib.request.urlopen(f"http://127.0.0.1:{query}/", timeout=3) as response:
            tree = json.loads(response.read())
        assert "status" not in tree["CONTENTS"]["essence"]["CONTENTS"]
        assert "go" in tree["CONTENTS"]["essence"]["CONTENTS"]
        # a controller on this host connects over OSC with the passcode: OSCQuery shows it
        # the status too (a wrong code first: still nothing)
        osc.start()
        assert osc.udp_address is not None
        for code in ("wrong", "pw"):
            subprocess.run(["oscsend", "127.0.0.1", str(osc.udp_address[1]), "/connect", "s",
                            code], check=True, timeout=10)
            if code == "wrong":
                time.sleep(0.3)
                assert _get(query, "/essence/status", f"127.0.0.1:{query}")[0] == 403
        assert wait_until(lambda: _get(query, "/essence/status/faces?VALUE",
                                       f"127.0.0.1:{query}")[0] == 200, 5)
        with urllib.request.urlopen(f"http://127.0.0.1:{query}/essence/status/faces?VALUE",
                                    timeout=3) as response:
            assert json.loads(response.read()) == {"VALUE": [4]}
        with urllib.request.urlopen(f"http://127.0.0.1:{query}/", timeout=3) as response:
            assert "status" in json.loads(response.read())["CONTENTS"]["essence"]["CONTENTS"]
    finally:
        osc.stop()
        server.stop()


def test_a_dropped_command_is_answered_and_hostile_messages_keep_the_page(rig: Rig) -> None:
    hub = ControlHub(HubOptions(allow="10.0.0.0/8"))  # this page's 127.0.0.1 is not allowed
    server = ConsoleServer(hub, ConsoleOptions(port=0, oscquery_port=0))
    server.start()
    try:
        assert server.address is not None
        _, denied = asyncio.run(_commands(f"http://127.0.0.1:{server.address[1]}/",
                                          [{"op": "go"}]))
        assert (denied["status"], denied["data"]) == ("denied", "not allowed")
    finally:
        server.stop()

    async def hostile() -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        async with aiohttp.ClientSession() as session, session.ws_connect(
                rig.url + "ws") as ws:
            for text in ("[" * 2040 + "]" * 2040,
                         '{"op": "param", "name": "grain", "value": ' + "9" * 400 + "}",
                         json.dumps({"op": "go"})):
                await ws.send_str(text)
                reply: dict[str, object] = {}
                while not reply:
                    message = json.loads((await ws.receive(timeout=3)).data)
                    reply = message if message["type"] == "reply" else {}
                out.append(reply)
        return out

    deep, big, go = asyncio.run(hostile())
    assert (deep["status"], deep["data"]) == ("error", "a command nested too deep")
    assert big["status"] == "error" and "out of range" in str(big["data"])
    assert (go["address"], go["status"]) == ("/essence/go", "ok")


def test_space_sends_one_go_and_never_presses_the_focused_button(
        rig: Rig, driver: webdriver.Chrome) -> None:
    driver.get(rig.url)
    assert wait_until(lambda: _attr(driver, "#cue-list .cue", "data-cue-id"), 5)
    assert wait_until(lambda: _text(driver, "#link") == "live", 5)
    driver.find_element(By.ID, "stop").click()
    assert wait_until(lambda: "/stop" in _text(driver, "#reply"), 5)
    rig.hub.take_events()
    driver.execute_script("document.getElementById('stop').focus();")
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    assert wait_until(lambda: "/essence/go" in _text(driver, "#reply"), 5)
    time.sleep(0.3)
    addresses = [event[0] for event in rig.hub.take_events()]
    assert addresses == ["/essence/go"], addresses


def test_stopping_the_console_does_not_wait_on_a_page_that_never_answers() -> None:
    server = ConsoleServer(ControlHub(), ConsoleOptions(port=0, oscquery_port=0))
    server.start()
    assert server.address is not None
    mute = socket.create_connection(("127.0.0.1", server.address[1]), timeout=3)
    try:  # a real WebSocket handshake, then nothing read and no close answered
        key = base64.b64encode(b"0123456789abcdef").decode()
        mute.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.address[1]}\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        assert mute.recv(1024).startswith(b"HTTP/1.1 101")
        assert wait_until(lambda: len(server.pages) == 1, 3)
        thread = server._thread
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
        assert thread is not None and not thread.is_alive()
        assert took < 4.0, took
    finally:
        mute.close()


def test_a_reconnecting_page_sends_the_passcode_again_from_memory(
        driver: webdriver.Chrome) -> None:
    hub = ControlHub(HubOptions(passcode="pw"))
    hub.publish(RigStatus(faces=1))
    server = ConsoleServer(hub, ConsoleOptions(host="0.0.0.0", port=0, oscquery_port=0,
                                               passcode="pw"))
    server.start()
    try:
        assert server.address is not None
        driver.get(f"http://127.0.0.1:{server.address[1]}/")
        assert wait_until(lambda: _attr(driver, "#passcode-form", "hidden") is None
                          and server.pages, 5)  # the page asks for the passcode
        first = set(server.pages)
        assert not any(p.authenticated for p in server.pages.values())
        driver.find_element(By.ID, "passcode").send_keys("pw")
        driver.find_element(By.CSS_SELECTOR, "#passcode-form button").click()
        assert wait_until(lambda: [p.authenticated for p in server.pages.values()] == [True], 5)
        driver.execute_script("ws.close();")  # the link drops; the page reconnects itself
        assert wait_until(lambda: set(server.pages) - first and all(
            p.authenticated for p in server.pages.values()), 8), server.pages
        assert driver.execute_script("return localStorage.length + sessionStorage.length") == 0
    finally:
        server.stop()
