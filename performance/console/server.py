"""`ConsoleServer`: the web console's HTTP, WebSocket and OSCQuery sites (the one aiohttp user).

Runs an aiohttp application in its own thread on its own asyncio loop: `GET /` the page
(`static/console.html`), `/static/...` its script and style, `GET /ws` the WebSocket
(`protocol.py`): each page gets `hello`, the room's `history`, then the `state` whenever it
changes (looked at 10 times a second), the pictures the `PictureSource` has (at most two a
second; the camera only when opted in on loopback) and the `reply` to each command. A page's
commands become real OSC packets handed to the `ControlHub` as sender ("ws", host, page
number), so they queue, refuse and reply exactly as OSC does; later replies come with
`hub.replies_due("ws")` (the hub wakes this loop: `ControlHub.watch_replies`).
A second site on the OSCQuery port answers `oscquery.respond`.

Each page has its own writer: state and pictures are newest-wins slots, other messages a
bounded queue, so a page that reads slowly skips states and never holds up another. A
WebSocket whose Origin names another host:port is refused (a page from elsewhere must not
drive the show); on a loopback console a request whose Host is not a loopback name is
refused too (DNS rebinding). At most `MAX_PAGES` pages, messages of at most `MAX_MESSAGE`
bytes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

from performance.console.history import RoomHistory
from performance.console.options import ConsoleOptions, loopback
from performance.console.pictures import PictureKind, PictureSource, encode_jpeg
from performance.console.protocol import (
    PROTOCOL_VERSION,
    MessageType,
    command_message,
    cue_acts,
    local_reply,
    reply_message,
    state_message,
)
from performance.control.access import SenderKey
from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.wire import build_message
from performance.core.errors import ConfigError

log = logging.getLogger("performance.console")

STATIC = Path(__file__).parent / "static"
MAX_PAGES = 32  # pages open at once; more are refused with a close reason
MAX_MESSAGE = 4096  # bytes of one message from a page
PAGE_QUEUE = 64  # replies and history samples waiting for a slow page (oldest dropped)
STATE_EVERY = 0.1  # seconds between two looks at the status
PICTURE_EVERY = 0.5  # seconds between two pictures of one kind
START_TIMEOUT = 10.0
_PAGE_NUMBERS = itertools.count(1)  # page numbers, unique in the process (the sender keys)


class Page:
    """One open page: its WebSocket, its sender key, and what waits to be written."""

    def __init__(self, ws: web.WebSocketResponse, key: SenderKey) -> None:
        self.ws = ws
        self.key = key
        self.state: str | None = None
        self.pictures: dict[str, str] = {}
        self.queue: deque[str] = deque(maxlen=PAGE_QUEUE)
        self.dropped = 0  # messages a slow page never got
        self.wake = asyncio.Event()

    def push(self, text: str) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
        self.queue.append(text)
        self.wake.set()

    def set_state(self, text: str) -> None:
        if self.state is not None:
            self.dropped += 1
        self.state = text
        self.wake.set()

    def set_picture(self, kind: str, text: str) -> None:
        self.pictures[kind] = text
        self.wake.set()

    async def write(self) -> None:
        """Send what waits, queue first, until the page closes."""
        with contextlib.suppress(ConnectionError, RuntimeError, asyncio.CancelledError):
            while not self.ws.closed:
                await self.wake.wait()
                self.wake.clear()
                while self.queue:
                    await self.ws.send_str(self.queue.popleft())
                if self.state is not None:
                    text, self.state = self.state, None
                    await self.ws.send_str(text)
                for kind in list(self.pictures):
                    await self.ws.send_str(self.pictures.pop(kind))


def same_origin(origin: str, host: str) -> bool:
    """Whether a WebSocket's Origin header names the host:port the request was sent to."""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


class ConsoleServer:
    """The console's sites for one hub (see the module); `start` returns once they listen."""

    def __init__(self, hub: ControlHub, options: ConsoleOptions,
                 pictures: PictureSource | None = None, *, max_pages: int = MAX_PAGES) -> None:
        self.hub = hub
        self.options = options
        self.pictures = pictures
        self.max_pages = max_pages
        self.address: tuple[str, int] | None = None
        self.oscquery_address: tuple[str, int] | None = None
        self.history = RoomHistory()
        self.pages: dict[int, Page] = {}
        self.refused_pages = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: str | None = None
        self._done: asyncio.Future[None] | None = None
        self._replies_due: asyncio.Event | None = None
        self._unwatch: Callable[[], None] = lambda: None
        self._state_text: str | None = None
        self._acts_key: tuple[object, ...] | None = None
        self._acts_text = "[]"
        self._pictures_sent: dict[PictureKind, float] = {}
        kinds = pictures.kinds if pictures is not None else ()
        self.kinds = tuple(k for k in kinds if k is not PictureKind.CAMERA
                           or (options.camera and options.local))

    @property
    def needs_passcode(self) -> bool:
        """Whether a page must send the passcode (a console bound wider with one set)."""
        return bool(self.options.passcode) and not self.options.local

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Listen and serve in a thread; ConfigError naming the address when it cannot."""
        self._thread = threading.Thread(target=self._run, name="console", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise ConfigError(f"console: {self.options.host}:{self.options.port} did not "
                              f"start within {START_TIMEOUT:g} s")
        if self._failure is not None:
            self._thread.join(START_TIMEOUT)
            raise ConfigError(self._failure)
        self._unwatch = self.hub.watch_replies(self._notified)
        log.info("console on http://%s:%d/ (OSCQuery %s)", *self.address or ("?", 0),
                 self.oscquery_address)

    def stop(self) -> None:
        """Close every page and both sites, and stop watching the hub's replies."""
        self._unwatch()
        loop, done = self._loop, self._done
        if loop is not None and done is not None and not loop.is_closed():
            def finish() -> None:
                if not done.done():
                    done.set_result(None)

            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(finish)
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
            self._thread = None

    def _notified(self) -> None:
        """The hub has replies due (any thread): wake the loop."""
        loop, due = self._loop, self._replies_due
        if loop is not None and due is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(due.set)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except Exception as exc:  # never a traceback from a console thread
            self._failure = self._failure or f"console: {exc}"
            log.error("console stopped: %s", exc)
        finally:
            self._ready.set()
            loop.close()

    async def _listen(self, app: web.Application, host: str, port: int,
                      what: str) -> tuple[web.AppRunner, tuple[str, int]]:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(f"{what}: cannot listen on {host}:{port}: "
                              f"{exc.strerror or exc}") from None
        address = runner.addresses[0]
        return runner, (str(address[0]), int(address[1]))

    async def _serve(self) -> None:
        self._done = asyncio.get_running_loop().create_future()
        self._replies_due = asyncio.Event()
        app = web.Application(client_max_size=MAX_MESSAGE)
        app.router.add_get("/", self._index)
        app.router.add_get("/ws", self._websocket)
        app.router.add_static("/static", STATIC)
        runners: list[web.AppRunner] = []
        try:
            runner, self.address = await self._listen(app, self.options.host, self.options.port,
                                                      "--console")
            runners.append(runner)
            query = web.Application(client_max_size=MAX_MESSAGE)
            query.router.add_get("/{tail:.*}", self._oscquery)
            port = self.options.oscquery_port
            if port is None:
                port = self.address[1] + 1 if self.options.port else 0
            runner, self.oscquery_address = await self._listen(query, self.options.host,
                                                               port, "--oscquery-port")
            runners.append(runner)
        except ConfigError as exc:
            self._failure = str(exc)
            for runner in runners:
                await runner.cleanup()
            return
        self._ready.set()
        tasks = [asyncio.create_task(self._ticks()), asyncio.create_task(self._replies())]
        try:
            await self._done
        finally:
            for task in tasks:
                task.cancel()
            for page in list(self.pages.values()):
                with contextlib.suppress(Exception):
                    await page.ws.close(code=WSCloseCode.GOING_AWAY, message=b"console stops")
            for runner in runners:
                await runner.cleanup()

    # --- HTTP ----------------------------------------------------------------------------

    def _host_ok(self, request: web.Request) -> bool:
        """On a loopback console, the request must be addressed to a loopback name."""
        return not self.options.local or loopback(request.url.host or "")

    async def _index(self, request: web.Request) -> web.StreamResponse:
        if not self._host_ok(request):
            raise web.HTTPForbidden(text="console: this console serves only this machine")
        return web.FileResponse(STATIC / "console.html",
                                headers={"Cache-Control": "no-cache"})

    async def _oscquery(self, request: web.Request) -> web.StreamResponse:
        from performance.console.oscquery import HostInfo, respond

        info = HostInfo(self.options.name, self.options.osc_host, self.options.osc_udp_port,
                        self.options.osc_tcp_port)
        code, body = respond(request.path, request.query_string, self._status(), info)
        if body is None:
            return web.Response(status=code)
        return web.json_response(body, status=code)

    def _status(self) -> RigStatus | None:
        return self.hub.status.peek()

    # --- WebSocket -----------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if not self._host_ok(request) or (origin is not None
                                          and not same_origin(origin, request.host)):
            log.warning("console: WebSocket from origin %r to %r refused", origin, request.host)
            raise web.HTTPForbidden(text="console: a page from another origin may not "
                                         "connect")
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=15.0, compress=False)
        await ws.prepare(request)
        if len(self.pages) >= self.max_pages:
            self.refused_pages += 1
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER,
                           message=f"console full: {self.max_pages} pages open".encode())
            return ws
        number = next(_PAGE_NUMBERS)
        page = Page(ws, ("ws", request.remote or "", number))
        self.pages[number] = page
        writer = asyncio.create_task(page.write())
        try:
            self._welcome(page)
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self._command(page, message.data)
                elif message.type is WSMsgType.BINARY:
                    page.push(json.dumps(local_reply("", "error", "commands are JSON text")))
        finally:
            del self.pages[page.key[2]]
            writer.cancel()
            self.hub.forget(page.key)
        return ws

    def _welcome(self, page: Page) -> None:
        if self.options.passcode and self.options.local:  # this machine's own pages
            self.hub.handle_packet(build_message("/connect", [self.options.passcode]),
                                   page.key)
        page.push(json.dumps({"type": MessageType.HELLO.value, "version": PROTOCOL_VERSION,
                              "page": page.key[2], "needs_passcode": self.needs_passcode,
                              "pictures": [str(k) for k in self.kinds],
                              "camera": PictureKind.CAMERA in self.kinds}))
        page.push(json.dumps({"type": MessageType.HISTORY.value, "every": self.history.every,
                              "samples": self.history.snapshot()}))
        page.set_state(self._state_text or self._state_now())
        for kind in self.kinds:
            text = self._picture_text(kind)
            if text is not None:
                page.set_picture(str(kind), text)

    def _command(self, page: Page, text: str) -> None:
        try:
            address, args = command_message(json.loads(text))
            packet = build_message(address, args)
        except ValueError as exc:  # json's errors are ValueErrors too
            page.push(json.dumps(local_reply("", "error", str(exc)[:200])))
            return
        for reply in self.hub.handle_packet(packet, page.key):
            page.push(json.dumps(reply_message(reply)))

    async def _replies(self) -> None:
        assert self._replies_due is not None
        while True:
            await self._replies_due.wait()
            self._replies_due.clear()
            self._deliver_replies()

    def _deliver_replies(self) -> None:
        for key, packet in self.hub.replies_due("ws"):
            page = self.pages.get(key[2])
            if page is not None and page.key == key:
                page.push(json.dumps(reply_message(packet)))

    # --- what every page is sent ---------------------------------------------------------

    def _state_now(self) -> str:
        """The state message's text, the cue list's part rebuilt only when it changed."""
        status = self._status()
        base = status if status is not None else RigStatus()
        key = (base.outline, base.cue_id, base.next_cue_id)
        if key != self._acts_key:
            self._acts_key = key
            self._acts_text = json.dumps(cue_acts(base), separators=(",", ":"))
        state = state_message(status, show_mode=self.hub.show_mode, acts=[])
        text = json.dumps(state, separators=(",", ":"))
        return text.replace('"acts":[]', '"acts":' + self._acts_text, 1)

    def _picture_text(self, kind: PictureKind) -> str | None:
        picture = self.pictures.latest(kind) if self.pictures is not None else None
        if picture is None:
            return None
        try:
            jpeg = encode_jpeg(picture)
        except ValueError:
            return None
        self._pictures_sent[kind] = picture.taken
        return json.dumps({"type": MessageType.PICTURE.value, "kind": str(kind),
                           "width": picture.width, "height": picture.height,
                           "taken": picture.taken,
                           "jpeg": base64.b64encode(jpeg).decode("ascii")})

    async def _ticks(self) -> None:
        loop = asyncio.get_running_loop()
        next_picture = loop.time()
        while True:
            try:
                self._tick(loop.time() >= next_picture)
            except Exception as exc:  # one bad status must not stop the console
                log.error("console: %r", exc)
            if loop.time() >= next_picture:
                next_picture = loop.time() + PICTURE_EVERY
            await asyncio.sleep(STATE_EVERY)

    def _tick(self, pictures: bool) -> None:
        self._deliver_replies()  # also without a wake-up (one missed between two ticks)
        text = self._state_now()
        if text != self._state_text:
            self._state_text = text
            for page in self.pages.values():
                page.set_state(text)
        sample = self.history.sample(self._status(), self.hub.clock.now())
        if sample is not None:
            line = json.dumps({"type": MessageType.HISTORY.value, "append": [sample.as_list()]})
            for page in self.pages.values():
                page.push(line)
        if not pictures or not self.pages:
            return
        for kind in self.kinds:
            last = self._pictures_sent.get(kind)
            picture = self.pictures.latest(kind) if self.pictures is not None else None
            if picture is None or picture.taken == last:
                continue
            text = self._picture_text(kind) or ""
            for page in self.pages.values():
                if text:
                    page.set_picture(str(kind), text)
