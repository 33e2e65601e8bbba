"""OSC answers that mean "applied", with real sockets and the real show (`start_services`,
the OSC control process, the cue sequencer): a reply comes only after the show applied or
refused the command and names why (`no cue 99`, `end of list`, `show mode`, `stale`); a GO
that reaches the show too old is refused `stale` and never fires; show mode is left only by
a sender that proved a secret; `/connect` guesses back off; feedback carries show mode,
chaos mode, blackout and the inputs' values; the show-mode key locks and unlocks editing.
Every wait is bounded.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from performance.config import DEFAULT_CUES, Settings
from performance.control.wire import build_message, parse_packet
from performance.core.clock import MonotonicClock
from performance.core.types import RoomEmotion
from performance.operator.keys import handle_keys
from performance.runtime.assemble import build_show
from performance.runtime.services import ShowServices, start_services
from performance.show.frame import Show
from tests.integration.conftest import LOCAL, free_udp_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ROOM = RoomEmotion(timestamp=0.0)


@dataclass
class Live:
    """A headless show with its services, run frame by frame, and one controller socket."""

    show: Show
    services: ShowServices
    clock: MonotonicClock
    ctl: socket.socket
    port: int

    def send(self, address: str, *args: object) -> None:
        self.ctl.sendto(build_message(address, list(args)),  # type: ignore[arg-type]
                        (LOCAL, self.port))

    def frame(self) -> None:
        """One frame of the main loop: drain, apply, tick, publish (which answers)."""
        now = self.clock.now()
        for command in self.services.commands.drain():
            self.show.apply(command, now)
        self.services.publish(self.show.tick(now, ROOM), ROOM)

    def replies(self, wait: float = 0.3) -> dict[str, dict[str, object]]:
        """Replies and feedback that arrive within `wait`, by address (the last of each)."""
        got: dict[str, dict[str, object]] = {}
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            self.ctl.settimeout(left)
            try:
                data = self.ctl.recv(65536)
            except TimeoutError:
                break
            for m in parse_packet(data):
                if m.address.startswith("/reply") and isinstance(m.args[0], str):
                    got[m.address] = json.loads(m.args[0])
                else:
                    got[m.address] = {"args": list(m.args)}
        return got

    def run_until(self, address: str, seconds: float = 3.0) -> dict[str, object]:
        """Frames until `address` arrives (replies are answered by the frames)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.frame()
            got = self.replies(0.02)
            if address in got:
                return got[address]
        raise AssertionError(f"no {address} in {seconds}s")


@pytest.fixture
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    options = getattr(request, "param", {})
    port = free_udp_port()
    settings = Settings(cues=str(DEFAULT_CUES), osc_port=port, osc_tcp_port=0, sound=False,
                        osc_reply_port=0, osc_stale_after=0.4, **options)
    clock = MonotonicClock()
    show = build_show(settings, visual=None, visuals=[])
    services = start_services(show, settings, clock=clock)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ctl:
        ctl.bind((LOCAL, 0))
        try:
            yield Live(show, services, clock, ctl, port)
        finally:
            services.close()


def test_the_reply_comes_after_the_show_applied_the_go(live: Live) -> None:
    live.send("/go")
    time.sleep(0.2)
    assert "/reply/go" not in live.replies(0.1)  # queued is not applied: no reply yet
    live.frame()
    assert live.replies()["/reply/go"]["status"] == "ok"
    seq = live.services.sequencer
    assert seq is not None and seq.status().cue_id == seq.cues.cues[0].id


@pytest.mark.parametrize("live", [{"control": "process"}, {"control": "thread"}],
                         indirect=True, ids=["process", "thread"])
def test_a_query_right_after_the_go_s_ok_sees_the_cue_it_fired(live: Live) -> None:
    """The status goes out before the answers (and the OSC process takes it before it
    answers): `/essence/state` and `/playheadID` sent the moment `ok` arrives name the
    fired cue, not the one before (they lagged 5-20 ms behind)."""
    seq = live.services.sequencer
    assert seq is not None
    first, second = seq.cues.cues[0].id, seq.cues.cues[1].id
    live.send("/go")
    time.sleep(0.2)  # in the hub (and through the OSC process) before the frame
    live.frame()  # applies the GO, publishes, answers
    live.ctl.settimeout(2.0)
    while not any(m.address == "/reply/go" for m in parse_packet(live.ctl.recv(65536))):
        pass
    live.send("/essence/state")  # at once, no frame between: answered from the hub's status
    live.send("/playheadID")
    got = live.replies(0.5)
    state = got["/reply/essence/state"]["data"]
    assert isinstance(state, dict) and state["cue_id"] == first, state
    assert got["/reply/playheadID"]["data"] == second


def test_every_no_op_is_answered_with_why(live: Live) -> None:
    seq = live.services.sequencer
    assert seq is not None
    for address, args, reason in (
            ("/cue/99/start", (), "no cue 99"), ("/playhead/99", (), "no cue 99"),
            ("/essence/goto", ("99",), "no cue 99"),
            ("/playhead/nextSequence", (), "no cue nextSequence"),
            ("/essence/back", (), "no earlier cue")):
        live.send(address, *args)
        body = live.run_until("/reply" + address)
        assert (body["status"], body["data"]) == ("error", reason), address
    live.send("/cue/" + seq.cues.cues[-1].id + "/start")
    assert live.run_until("/reply/cue/" + seq.cues.cues[-1].id + "/start")["status"] == "ok"
    for address in ("/go", "/cue/selected/start", "/cue/playhead/start"):
        time.sleep(0.3)  # past the minimum GO interval
        live.send(address)
        body = live.run_until("/reply" + address)
        assert (body["status"], body["data"]) == ("error", "end of list"), address


def test_a_stale_go_is_refused_and_never_fires(live: Live) -> None:
    seq = live.services.sequencer
    assert seq is not None
    live.send("/go")
    time.sleep(0.6)  # a frame that took longer than osc_stale_after (0.4 s here)
    body = live.run_until("/reply/go")
    assert (body["status"], body["data"]) == ("error", "stale")
    for _ in range(5):
        live.frame()
    assert seq.status().cue_id is None  # it never fired
    live.send("/go")  # a fresh GO is not "too soon" after the stale one: it was no press
    assert live.run_until("/reply/go")["status"] == "ok"
    assert seq.status().cue_id == seq.cues.cues[0].id
    assert live.services.hub is not None and live.services.hub.counts()["stale"] == 1


@pytest.mark.parametrize("live", [{"show_mode": True}], indirect=True)
def test_show_mode_is_left_over_osc_only_with_a_secret_and_back_is_refused(live: Live) -> None:
    live.send("/essence/back")
    assert live.replies()["/reply/essence/back"]["data"] == "show mode"
    live.send("/essence/showmode", 0)  # no passcode, no unlock code: not over OSC
    assert live.replies()["/reply/essence/showmode"]["data"] == "not over osc"
    hub = live.services.hub
    assert hub is not None and hub.show_mode


@pytest.mark.parametrize("live", [{"show_mode": True, "osc_unlock_code": "7391"}],
                         indirect=True)
def test_the_unlock_code_lets_a_sender_leave_show_mode(live: Live) -> None:
    live.send("/essence/showmode", 0)
    assert live.replies()["/reply/essence/showmode"]["data"] == "unlock code needed"
    live.send("/connect", "1111")  # a wrong code: connected (no passcode), not unlocked
    live.send("/essence/showmode", 0)
    assert live.replies()["/reply/essence/showmode"]["data"] == "unlock code needed"
    live.send("/connect", "7391")
    live.send("/essence/showmode", 0)
    assert live.replies()["/reply/essence/showmode"]["status"] == "ok"
    hub = live.services.hub
    assert hub is not None
    live.frame()
    assert not hub.show_mode


@pytest.mark.parametrize("live", [{"show_mode": True, "osc_unlock_code": "7391",
                                   "control": "process"},
                                  {"show_mode": True, "osc_unlock_code": "7391",
                                   "control": "thread"}],
                         indirect=True, ids=["process", "thread"])
def test_an_edit_right_after_the_unlock_is_applied(live: Live) -> None:
    """A Companion macro: unlock, then Go To, with no pause. The show's lock follows show
    mode at its place among the commands (it followed after the frame, so the edit was
    refused `show mode` after the unlock had been answered ok)."""
    live.send("/connect", "7391")
    time.sleep(0.1)
    live.send("/essence/showmode", 0)
    live.send("/playhead/next")
    time.sleep(0.2)  # both reach the hub before the next frame
    body = live.run_until("/reply/playhead/next")
    assert body["status"] == "ok", body
    seq = live.services.sequencer
    assert seq is not None and not seq.locked


@pytest.mark.parametrize("live", [{"control": "process"}, {"control": "thread"}],
                         indirect=True, ids=["process", "thread"])
def test_a_fader_moved_just_before_the_lock_is_applied(live: Live) -> None:
    """Parameter values travel behind the transport commands; the lock among them must not
    overtake a value the hub took before it (it was refused, and faders get no reply)."""
    seq = live.services.sequencer
    assert seq is not None
    live.send("/cue/1/start")  # enclave: declares grain in [0, 1]
    assert live.run_until("/reply/cue/1/start")["status"] == "ok"
    live.send("/essence/param/grain", 0.77)
    live.send("/essence/showmode", 1)
    time.sleep(0.2)  # both in the hub before the next frame
    assert live.run_until("/reply/essence/showmode")["status"] == "ok"
    for _ in range(3):
        live.frame()
    assert dict(seq.status().inputs)["grain"] == pytest.approx(0.77)
    assert seq.locked and seq.refusals.count == 0


@pytest.mark.parametrize("live", [{"osc_passcode": "4821"}], indirect=True)
def test_connect_guesses_are_throttled_per_host(live: Live) -> None:
    start = time.monotonic()
    for guess in range(300):
        live.send("/connect", f"{guess:04d}")
    answers = []
    deadline = time.monotonic() + 3
    while len(answers) < 300 and time.monotonic() < deadline:
        live.ctl.settimeout(0.5)
        try:
            [m] = parse_packet(live.ctl.recv(4096))
        except TimeoutError:
            break
        answers.append(json.loads(str(m.args[0]))["data"])
    seconds = time.monotonic() - start
    checked = answers.count("badpass")
    assert checked <= 5 and answers.count("throttled") >= 250
    live.send("/connect", "4821")  # the right one, while backing off: not even checked
    assert live.replies()["/reply/connect"]["data"] == "throttled"
    print(f"\n/connect: {len(answers)} guesses in {seconds:.2f}s, {checked} checked "
          f"({checked / seconds:.1f} guesses/s checked)")


def test_feedback_shows_show_mode_chaos_blackout_and_input_values(live: Live) -> None:
    seq = live.services.sequencer
    assert seq is not None
    live.send("/updates", 1)
    live.send("/cue/1/start")  # enclave: declares grain in [0, 1]
    got: dict[str, dict[str, object]] = {}

    def frames_until(*addresses: str) -> None:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not set(addresses) <= set(got):
            live.frame()
            got.update(live.replies(0.05))

    frames_until("/reply/cue/1/start", "/essence/status/show_mode", "/essence/param/grain")
    assert got["/essence/status/show_mode"]["args"] == [0]
    assert got["/essence/status/blackout"]["args"] == [0]
    assert got["/essence/chaos"]["args"] == [0]  # echoed where a toggle listens
    cue_grain = dict(seq.status().inputs)["grain"]
    assert got["/essence/param/grain"]["args"] == [pytest.approx(cue_grain)]
    live.send("/essence/param/grain", 5.0)  # out of range: refused, never clamped
    assert live.replies()["/reply/essence/param/grain"]["status"] == "error"
    got.clear()
    live.send("/essence/param/grain", 0.9)
    frames_until("/essence/param/grain")
    assert got["/essence/param/grain"]["args"] == [pytest.approx(0.9)]  # a fader follows
    got.clear()
    time.sleep(0.3)
    live.send("/go")  # the next cue replaces the fader's value: feedback says so
    frames_until("/essence/param/grain")
    assert got["/essence/param/grain"]["args"] != [pytest.approx(0.9)]
    got.clear()
    live.send("/essence/blackout", 1)
    live.send("/essence/chaos", 1)
    live.send("/essence/showmode", 1)
    frames_until("/essence/status/blackout", "/essence/status/chaos_mode",
                 "/essence/status/show_mode")
    assert got["/essence/status/blackout"]["args"] == [1]
    assert got["/essence/status/chaos_mode"]["args"] == [1]
    assert got["/essence/status/show_mode"]["args"] == [1]


@pytest.mark.parametrize("live", [{"control": "process"}, {"control": "thread"}],
                         indirect=True, ids=["process", "thread"])
def test_the_show_mode_key_locks_and_unlocks_editing(live: Live) -> None:
    """ctrl+l in the rig's window: no secret needed, the keyboard is the rig's own."""
    hub = live.services.hub
    assert hub is not None
    handle_keys(["ctrl+l"], live.services.commands, None)
    assert hub.show_mode  # at once, in the render process
    time.sleep(0.1)  # the OSC child follows through the downlink
    for _ in range(3):
        live.frame()  # the child's reports must not flip it back
    assert hub.show_mode and live.show.tick(live.clock.now(), ROOM).locked
    live.send("/essence/chaos", 1)
    body = live.run_until("/reply/essence/chaos")
    assert (body["status"], body["data"]) == ("error", "show mode")
    handle_keys(["ctrl+l"], live.services.commands, None)
    assert not hub.show_mode
    time.sleep(0.1)
    live.send("/essence/chaos", 1)
    assert live.run_until("/reply/essence/chaos")["status"] == "ok"
    assert not hub.show_mode
