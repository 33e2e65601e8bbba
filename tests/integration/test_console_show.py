"""The operator console of a real `essence run --headless --console` (a real clip with a
face as the camera, the Neo-Lumen show): served from the OSC control process, seen in a
real headless chromium, GO from the page fires the standby cue in the running show, the
stage thumbnail is the render process's, OSCQuery advertises the inputs and a value sent by
`oscsend` to the advertised address changes the show, nothing of the camera leaves without
the opt-in, and a killed control process comes back with the console on the same port
while the picture goes on."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from performance.config import DEFAULT_CUES
from performance.runtime.assemble import shader_catalog
from performance.show.cuefile.load import load_cue_file
from tests import browser
from tests.integration.conftest import LOCAL, oscsend
from tests.integration.rig_process import Rig, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / ".cache" / "testdata" / "single_face.mp4"
CUES = load_cue_file(DEFAULT_CUES, shader_catalog())


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return int(s.getsockname()[1])


class Console:
    def __init__(self, rig: Rig, port: int, oscquery: int) -> None:
        self.rig, self.port, self.oscquery = rig, port, oscquery

    @property
    def url(self) -> str:
        return f"http://{LOCAL}:{self.port}/"

    def get(self, path: str, port: int | None = None) -> tuple[int, bytes]:
        url = f"http://{LOCAL}:{port or self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), b""
        except OSError:
            return 0, b""


@pytest.fixture(scope="module")
def console() -> Iterator[Console]:
    assert CLIP.is_file(), f"{CLIP}: run `make testdata`"
    port, oscquery = free_tcp_port(), free_tcp_port()
    rig = Rig(["--input", str(CLIP), "--loop", "--cues", str(DEFAULT_CUES), "--no-sound",
               "--console", f"{LOCAL}:{port}", "--oscquery-port", str(oscquery)])
    try:
        rig.wait_rendering(90.0)
        yield Console(rig, port, oscquery)
    finally:
        rig.close()
    assert f"console on http://{LOCAL}:{port}/" in rig.stdout, rig.stdout


_text = browser.text
_attr = browser.attribute


def test_go_on_the_console_fires_the_standby_cue_of_the_running_show(
        console: Console, driver: webdriver.Chrome) -> None:
    shot = browser.screenshot(driver, console.url, "#cue-list .cue", count=len(CUES.cues),
                              timeout=30)
    assert shot.std() > 20
    ids = driver.execute_script("return Array.from(document.querySelectorAll('#cue-list "
                                ".cue')).map(e => e.getAttribute('data-cue-id'));")
    assert ids == [cue.id for cue in CUES.cues]
    first, second = CUES.cues[0], CUES.cues[1]
    assert _text(driver, "#standby-id") == first.id
    assert _text(driver, "#standby-name") == first.name
    state = console.rig.state()
    assert state is not None and state.get("cue_id") is None  # nothing fired yet
    driver.find_element(By.ID, "go").click()

    def fired() -> bool:
        now = console.rig.state()
        return now is not None and now.get("cue_id") == first.id

    assert wait_until(fired, 10.0) is not None, console.rig.state()
    assert wait_until(lambda: _text(driver, "#standby-id") == second.id, 10.0) is not None
    assert "ok" in _text(driver, "#reply")


def test_the_stage_thumbnail_is_the_render_process_s_picture(
        console: Console, driver: webdriver.Chrome) -> None:
    driver.get(console.url)

    def thumb() -> str:
        return _attr(driver, "#stage-thumb", "src") or ""

    assert wait_until(lambda: thumb().startswith("data:image/jpeg;base64,"), 10.0) is not None
    jpeg = base64.b64decode(thumb().split(",", 1)[1])
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and 0 < image.shape[1] <= 240
    assert image.shape[1] / image.shape[0] == pytest.approx(96 / 54, rel=0.1)


def test_oscquery_advertises_the_inputs_and_the_advertised_address_changes_the_show(
        console: Console) -> None:
    status, body = console.get("/?HOST_INFO", console.oscquery)
    assert status == 200
    info = json.loads(body)
    assert info["OSC_PORT"] == console.rig.osc_port and info["OSC_TRANSPORT"] == "UDP"

    def visual_with_inputs() -> bool:  # GO (as QLab's /go) until a visual with inputs shows
        now = console.rig.state()
        if now is not None and now.get("inputs"):
            return True
        oscsend(console.rig.osc_port, "/go")
        return False

    assert wait_until(visual_with_inputs, 20.0, step=0.4) is not None
    state = console.rig.state()
    assert state is not None
    status, body = console.get("/", console.oscquery)
    tree = json.loads(body)
    params = tree["CONTENTS"]["essence"]["CONTENTS"]["param"]["CONTENTS"]
    assert set(params) == set(dict(state["inputs"]))
    name, node = next((n, p) for n, p in params.items() if p["TYPE"] == "f")
    low, high = node["RANGE"][0]["MIN"], node["RANGE"][0]["MAX"]
    value = round(low + 0.37 * (high - low), 3)
    assert node["VALUE"][0] != pytest.approx(value)
    oscsend(console.rig.osc_port, node["FULL_PATH"], "f", str(value))

    def moved() -> bool:
        now = console.rig.state()
        inputs = dict(now["inputs"]) if now else {}
        return inputs.get(name) == pytest.approx(value, abs=1e-3)

    assert wait_until(moved, 10.0) is not None, console.rig.state()
    status, body = console.get(f"{node['FULL_PATH']}?VALUE", console.oscquery)
    assert status == 200 and json.loads(body)["VALUE"][0] == pytest.approx(value, abs=1e-3)


async def _record(url: str, seconds: float) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        end = asyncio.get_running_loop().time() + seconds
        while (left := end - asyncio.get_running_loop().time()) > 0:
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.TEXT:
                out.append(json.loads(message.data))
    return out


def test_nothing_of_the_camera_leaves_the_show_without_the_opt_in(console: Console) -> None:
    status, html = console.get("/")
    assert status == 200 and b'id="camera"' not in html
    assert console.get("/camera.jpg")[0] == 404
    state = console.rig.state()
    assert state is not None and int(str(state["faces"])) >= 1  # the clip's face is seen
    messages = asyncio.run(_record(f"ws://{LOCAL}:{console.port}/ws", 3.0))
    assert messages[0]["type"] == "hello" and messages[0]["camera"] is False
    pictures = [m for m in messages if m["type"] == "picture"]
    assert pictures and {m["kind"] for m in pictures} == {"stage"}


def test_a_killed_control_process_comes_back_with_the_console_on_its_port(
        console: Console) -> None:
    rig = console.rig
    child = rig.pid_of("essence-osc")
    assert child is not None
    os.kill(child, signal.SIGKILL)
    assert wait_until(lambda: rig.pid_of("essence-osc") not in (None, child), 20.0) is not None
    assert wait_until(lambda: console.get("/")[0] == 200, 20.0) is not None
    messages = asyncio.run(_record(f"ws://{LOCAL}:{console.port}/ws", 1.5))
    assert [m["type"] for m in messages][:1] == ["hello"]
    assert any(m["type"] == "state" for m in messages)
    assert rig.proc.poll() is None  # the picture went on
    state = rig.state()
    assert state is not None and float(str(state["fps"])) > 0


async def _go(url: str) -> list[dict[str, object]]:
    """GO from a WebSocket page; the messages until its reply."""
    out: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"op": "go"}))
        while not any(m["type"] == "reply" for m in out):
            message = await ws.receive(timeout=10.0)
            if message.type == aiohttp.WSMsgType.TEXT:
                out.append(json.loads(message.data))
    return out


def test_with_control_on_threads_the_console_is_served_from_the_render_process() -> None:
    port = free_tcp_port()
    rig = Rig(["--input", "scripted", "--cues", str(DEFAULT_CUES), "--no-sound",
               "--control", "thread", "--console", str(port), "--oscquery-port", "0"])
    try:
        rig.wait_rendering(90.0)
        assert rig.pid_of("essence-osc") is None  # no control process
        replies = [m for m in asyncio.run(_go(f"ws://{LOCAL}:{port}/ws"))
                   if m["type"] == "reply"]
        assert replies[-1]["status"] == "ok", replies

        def fired() -> bool:
            state = rig.state()
            return state is not None and state.get("cue_id") == CUES.cues[0].id

        assert wait_until(fired, 10.0) is not None
    finally:
        rig.close()


@pytest.mark.parametrize("size", [(820, 1180), (1180, 820)], ids=["tablet", "tablet-landscape"])
def test_the_console_fits_a_tablet_with_a_big_go(console: Console, driver: webdriver.Chrome,
                                                 size: tuple[int, int]) -> None:
    driver.set_window_size(*size)
    try:
        browser.screenshot(driver, console.url, "#cue-list .cue", count=len(CUES.cues),
                           timeout=30)
        width, inner = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner  # nothing runs off the side: no sideways scrolling
        x, _, w, h = browser.element_box(driver, "#go")
        assert x >= 0 and x + w <= inner and h >= 88 and w >= 200  # a thumb finds it
        for button in driver.find_elements(By.CSS_SELECTOR, "#buttons button"):
            assert button.rect["height"] >= 44 and button.rect["width"] >= 44  # touch size
    finally:
        driver.set_window_size(1280, 1400)
