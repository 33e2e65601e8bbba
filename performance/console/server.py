"""`ConsoleServer`: the web console's HTTP, WebSocket and OSCQuery sites (the one aiohttp user).

Runs an aiohttp application in its own thread on its own asyncio loop: `GET /` the page
(`static/console.html`), `/static/...` its script and style, `GET /ws` the WebSocket
(`protocol.py`): each page gets `hello`, the room's `history`, the `cues` (again only when
the cue list changes), then the `state` whenever it changes (looked at 10 times a second),
the pictures the `PictureSource` has (at most two a second; the camera only when opted in
on loopback) and the `reply` to each command. On a console that asks for the passcode a
page gets only `hello` and its replies until its session has connected with it. A page's
commands become real OSC packets handed to the `ControlHub` as sender ("ws", host, page
number), so they queue, refuse and reply exactly as OSC does; later replies come with
`hub.replies_due("ws")` (the hub wakes this loop: `ControlHub.watch_replies`).
A second site on the OSCQuery port answers `oscquery.respond`.

Each page has its own writer (`page.py`), so a page that reads slowly skips states and never
holds up another. A WebSocket whose Origin names another host:port is refused (a page from
elsewhere must not drive the show); a request whose Host is not a loopback name (loopback
console) or not an IP literal or this machine's name (bound wider) is refused too (DNS
rebinding), on both sites; bound wider with a passcode, OSCQuery keeps `/essence/status`
(403) from a host that has not connected with the passcode (`ControlHub.host_authenticated`).
Every page response forbids framing and anything not from this origin (`PAGE_HEADERS`).
At most `MAX_PAGES` pages (`MAX_PAGES_PER_HOST` of one host when bound wider), messages of
at most `MAX_MESSAGE` bytes (a longer one closes that socket, 1009; the page connects
again); whatever a message within it holds, it gets a one-line error reply and never ends
the page's handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from aiohttp import WSCloseCode, WSMsgType, web

from performance.console.feed import Feed, compact
from performance.console.history import RoomHistory
from performance.console.messages import hello_message, history_message
from performance.console.options import ConsoleOptions, oscquery_beside
from performance.console.page import Page
from performance.console.pictures import PictureKind, PictureSource
from performance.console.protocol import (
    host_ok,
    local_reply,
    parse_command,
    reply_message,
    same_origin,
    status_path,
    without_status,
)
from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.wire import build_message
from performance.core.errors import ConfigError

log = logging.getLogger("performance.console")

STATIC = Path(__file__).parent / "static"
MAX_PAGES = 32  # pages open at once; more are refused with a close reason
MAX_PAGES_PER_HOST = 8  # ... of them from one host, on a console bound wider
MAX_MESSAGE = 4096  # bytes of one message from a page
STATE_EVERY = 0.1  # seconds between two looks at the status
PICTURE_EVERY = 0.5  # seconds between two pictures of one kind
START_TIMEOUT = 10.0
CLOSE_TIMEOUT = 1.0  # seconds a page has to answer the close when the console stops
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
_PAGE_NUMBERS = itertools.count(1)  # page numbers, unique in the process (the sender keys)


class ConsoleServer:
    """The console's sites for one hub (see the module); `start` returns once they listen."""

    def __init__(self, hub: ControlHub, options: ConsoleOptions,
                 pictures: PictureSource | None = None, *, max_pages: int = MAX_PAGES,
                 max_pages_per_host: int = MAX_PAGES_PER_HOST) -> None:
        self.hub = hub
        self.options = options
        self.pictures = pictures
        self.max_pages = max_pages
        self.max_pages_per_host = max_pages_per_host
        name = socket.gethostname()
        self.host_names = (name, name.split(".")[0], name.split(".")[0] + ".local")
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
        kinds = pictures.kinds if pictures is not None else ()
        self.kinds = tuple(k for k in kinds if k is not PictureKind.CAMERA
                           or (options.camera and options.local))
        self.feed = Feed(pictures, self.kinds)
        self._sent = ("", "")  # the cue list and state texts the pages were last sent

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
        app.on_response_prepare.append(_page_headers)
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
                port = oscquery_beside(self.address[1]) if self.options.port else 0
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
            await self._close_pages()
            for runner in runners:
                await runner.cleanup()

    async def _close_pages(self) -> None:
        """Close every page at once, each given `CLOSE_TIMEOUT` to answer (a page that
        never answers cannot hold up the stop)."""
        async def close(ws: web.WebSocketResponse) -> None:
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"console stops")

        closing = [asyncio.create_task(close(p.ws)) for p in list(self.pages.values())
                   if isinstance(p.ws, web.WebSocketResponse)]
        if closing:
            _, late = await asyncio.wait(closing, timeout=CLOSE_TIMEOUT * 2)
            for task in late:
                task.cancel()

    # --- HTTP ----------------------------------------------------------------------------

    def _host_ok(self, request: web.Request) -> bool:
        """Whether the request's Host may reach this console (`protocol.host_ok`)."""
        return host_ok(request.url.host or "", local=self.options.local,
                       names=self.host_names)

    async def _index(self, request: web.Request) -> web.StreamResponse:
        if not self._host_ok(request):
            raise web.HTTPForbidden(text="console: this console serves only this machine")
        return web.FileResponse(STATIC / "console.html",
                                headers={"Cache-Control": "no-cache"})

    async def _oscquery(self, request: web.Request) -> web.StreamResponse:
        from performance.console.oscquery import HostInfo, respond

        if not self._host_ok(request):
            return web.Response(status=403)
        # bound wider with a passcode: the status only to a host that connected with it
        private = self.needs_passcode and not self.hub.host_authenticated(request.remote or "")
        if private and status_path(request.path):
            return web.Response(status=403)
        info = HostInfo(self.options.name, self.options.osc_host, self.options.osc_udp_port,
                        self.options.osc_tcp_port)
        code, body = respond(request.path, request.query_string, self._status(), info)
        if body is None:
            return web.Response(status=code)
        return web.json_response(without_status(body) if private else body, status=code)

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
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=15.0, compress=False,
                                   timeout=CLOSE_TIMEOUT)
        await ws.prepare(request)
        remote = request.remote or ""
        full = self._full(remote)
        if full:
            self.refused_pages += 1
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=full.encode())
            return ws
        number = next(_PAGE_NUMBERS)
        page = Page(ws, ("ws", remote, number), authenticated=not self.needs_passcode)
        self.pages[number] = page
        writer = asyncio.create_task(page.write())
        try:
            self._welcome(page)
            async for message in ws:
                try:  # the socket's edge: nothing a message holds ends this handler
                    if message.type is WSMsgType.TEXT:
                        self._command(page, message.data)
                    elif message.type is WSMsgType.BINARY:
                        page.push(compact(local_reply("", "error", "commands are JSON text")))
                except Exception as exc:
                    log.warning("console: a message from page %d failed: %r", number, exc)
                    page.push(compact(local_reply("", "error", "command failed")))
        finally:
            del self.pages[page.key[2]]
            writer.cancel()
            self.hub.forget(page.key)
        return ws

    def _full(self, host: str) -> str:
        """Why one more page from `host` is refused ("" when it is not)."""
        if len(self.pages) >= self.max_pages:
            return f"console full: {self.max_pages} pages open"
        mine = sum(p.host == host for p in self.pages.values())
        if not self.options.local and mine >= self.max_pages_per_host:
            return f"console full: {self.max_pages_per_host} pages open from {host}"
        return ""

    def _welcome(self, page: Page) -> None:
        if self.options.passcode and self.options.local:  # this machine's own pages
            self.hub.handle_packet(build_message("/connect", [self.options.passcode]),
                                   page.key)
        page.push(json.dumps(hello_message(page.key[2], self.needs_passcode,
                                           [str(k) for k in self.kinds],
                                           PictureKind.CAMERA in self.kinds)))
        if page.authenticated:
            self._let_in(page)

    def _authenticated(self, page: Page) -> bool:
        """Whether the page's session connected with the passcode (or needs none)."""
        return (page.authenticated or not self.needs_passcode
                or not self.hub.access.passcode or self.hub.valued(page.key))

    def _let_in(self, page: Page) -> None:
        """What a page sees once it may: the history, the cue list, the state, pictures."""
        page.authenticated = True
        page.push(json.dumps(history_message(self.history)))
        cues, state = self.feed.texts(self._status(), self.hub.show_mode)
        page.set_cues(cues)
        page.set_state(state)
        for kind in self.kinds:
            text = self.feed.picture(kind)
            if text is not None:
                page.set_picture(str(kind), text)

    def _command(self, page: Page, text: str) -> None:
        try:
            address, args = parse_command(text)
            packet = build_message(address, args)
        except ValueError as exc:
            page.push(compact(local_reply("", "error", str(exc)[:200])))
            return
        refused: list[str] = []
        replies = self.hub.handle_packet(packet, page.key, refused=refused)
        for reply in replies:
            page.push(compact(reply_message(reply)))
        if not replies and refused:  # refused without a reply (else queued: one comes later)
            if refused[0] == "not_allowed":
                page.push(compact(local_reply(address, "denied", "not allowed")))
            else:
                page.push(compact(local_reply(address, "dropped", refused[0])))
        if not page.authenticated and self._authenticated(page):
            self._let_in(page)

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
        pages = [p for p in self.pages.values() if p.authenticated]
        cues, state = self.feed.texts(self._status(), self.hub.show_mode)
        if cues != self._sent[0]:
            for page in pages:
                page.set_cues(cues)
        if state != self._sent[1]:
            for page in pages:
                page.set_state(state)
        self._sent = (cues, state)
        sample = self.history.sample(self._status(), self.hub.clock.now())
        if sample is not None:
            line = json.dumps(history_message(None, sample))
            for page in pages:
                page.push(line)
        if pictures and pages:
            for kind, text in self.feed.new_pictures():
                for page in pages:
                    page.set_picture(str(kind), text)


async def _page_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response of the page's site: no framing, nothing from another origin."""
    del request
    response.headers.update(PAGE_HEADERS)
