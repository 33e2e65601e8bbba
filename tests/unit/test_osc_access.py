"""Access control and the hub's rules: passcode sessions, allow-list, limits, show mode,
minimum GO interval, queue priority and coalescing, replies and feedback (no sockets)."""

from __future__ import annotations

import json

import pytest

from performance.config import Settings
from performance.control.access import (
    REFUSALS_BURST,
    REFUSALS_RATE,
    AccessPolicy,
    TokenBucket,
    parse_allow,
)
from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.options import HubOptions
from performance.control.requests import Request
from performance.control.tickets import AWAITING_EXPIRE_S, MAX_WAITING_PER_SENDER
from performance.control.wire import build_message, parse_packet
from performance.core.clock import ManualClock
from performance.core.errors import ConfigError
from performance.core.mailbox import CommandQueue
from performance.show.commands import (
    Go,
    GotoCue,
    HoldCondition,
    Panic,
    SetInput,
    SetPlayhead,
    ShowModeChanged,
    Stop,
)
from performance.show.gogate import GoGate
from performance.show.seqoptions import Outcome, SequencerOptions

A = ("udp", "127.0.0.1", 40001)
B = ("udp", "127.0.0.1", 40002)


def reply(packet: bytes) -> tuple[str, dict[str, object]]:
    [m] = parse_packet(packet)
    assert isinstance(m.args[0], str)
    return m.address, json.loads(m.args[0])


def send(hub: ControlHub, sender: tuple[str, str, int], address: str, *args: object,
         now: float = 0.0) -> list[bytes]:
    return hub.handle_packet(build_message(address, list(args)), sender, now)  # type: ignore[arg-type]


def test_token_bucket_limits_rate_and_refills() -> None:
    bucket = TokenBucket(rate=10.0, burst=3.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.1) and not bucket.take(0.1)


def test_allow_list_parses_networks_and_refuses_others() -> None:
    policy = AccessPolicy(allow="127.0.0.1, 10.1.0.0/16")
    assert policy.host_allowed("127.0.0.1") and policy.host_allowed("10.1.2.3")
    assert not policy.host_allowed("127.0.0.2") and not policy.host_allowed("not-an-ip")
    assert AccessPolicy().host_allowed("192.168.1.9")
    with pytest.raises(ConfigError, match="osc_allow"):
        parse_allow("127.0.0.1, localhost")


def test_session_table_is_bounded() -> None:
    policy = AccessPolicy(max_sessions=3)
    for port in range(10):
        policy.admit(("udp", "127.0.0.1", port), 16, 0.0)
    assert len(policy) == 3


def test_passcode_required_per_sender_before_any_change() -> None:
    hub = ControlHub(HubOptions(passcode="4321"))
    address, body = reply(send(hub, A, "/go")[0])
    assert (address, body["status"], body["data"]) == ("/reply/go", "denied", "connect first")
    assert hub.drain() == []
    # heartbeat and discovery work without a session
    assert reply(send(hub, A, "/thump")[0])[1]["status"] == "ok"
    _, listing = reply(send(hub, A, "/workspaces")[0])
    assert listing["data"] == [{"uniqueID": "essence", "displayName": "Essence rig",
                                "hasPasscode": True}]
    assert reply(send(hub, A, "/connect", "0000")[0])[1]["status"] == "denied"
    assert reply(send(hub, A, "/connect", "4321")[0])[1] == {
        "workspace_id": "essence", "address": "/connect", "status": "ok", "data": "ok"}
    assert send(hub, A, "/go") == []  # answered once the show did it
    # another port on the same host is another sender
    assert reply(send(hub, B, "/stop", now=1.0)[0])[1]["status"] == "denied"
    assert hub.drain() == [Go()]
    counts = hub.counts()
    assert counts["denied"] == 2 and counts["bad_passcode"] == 1


def test_a_host_counts_as_connected_while_one_of_its_sessions_holds_the_passcode() -> None:
    hub = ControlHub(HubOptions(passcode="4321"))
    assert not hub.host_authenticated(A[1])
    send(hub, A, "/connect", "0000")
    assert not hub.host_authenticated(A[1])
    send(hub, A, "/connect", "4321")
    assert hub.host_authenticated(A[1]) and not hub.host_authenticated("10.9.9.9")
    hub.forget(A)  # its session is gone (a page closed, a TCP connection ended)
    assert not hub.host_authenticated(A[1])
    assert ControlHub().host_authenticated("10.9.9.9")  # no passcode: everyone


def test_show_mode_refuses_editing_and_needs_the_passcode_to_change() -> None:
    hub = ControlHub(HubOptions(passcode="pw", show_mode=True))
    send(hub, A, "/connect", "pw")
    _, body = reply(send(hub, A, "/essence/param/glow", 0.5)[0])
    assert (body["status"], body["data"]) == ("error", "show mode")  # the rig's lock
    assert reply(send(hub, B, "/essence/showmode", 0)[0])[1]["status"] == "denied"  # B's want
    assert hub.show_mode
    send(hub, A, "/essence/showmode", 0)
    assert not hub.show_mode
    assert send(hub, A, "/essence/param/glow", 0.5) == []  # accepted params are not answered
    # the sequencer's lock follows at its place among the commands, before the edit
    assert hub.drain() == [ShowModeChanged(False), SetInput("glow", 0.5)]


def test_show_mode_refuses_what_the_locked_sequencer_refuses() -> None:
    """In show mode a cue start or chaos switch is refused, not answered ok and then ignored:
    `error`, as QLab's clients read it (Companion's module takes `denied` for a wrong
    passcode and shows the connection failed)."""
    hub = ControlHub(HubOptions(show_mode=True))
    for address, args in (("/cue/3/start", ()), ("/essence/chaos", (1,)),
                          ("/essence/goto", ("3",)), ("/playhead/next", ())):
        _, body = reply(send(hub, A, address, *args)[0])
        assert (body["address"], body["status"], body["data"]) == (address, "error",
                                                                   "show mode")
    assert send(hub, A, "/go") == []  # answered once the show did it
    assert send(hub, A, "/essence/hold", 1) == []  # answered once the show did it
    assert hub.drain() == [Go(), HoldCondition(True)]
    assert hub.counts()["show_mode"] == 4 and "denied" not in hub.counts()


def test_a_failure_handling_one_message_is_counted_and_the_rest_go_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import performance.control.hub as hub_module

    real = hub_module.resolve

    def broken(address: str, *rest: object) -> object:
        if address == "/stop":
            raise KeyError("/stop")  # e.g. a route missing from the address table
        return real(address, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(hub_module, "resolve", broken)
    hub = ControlHub()
    bundle = (b"#bundle\x00" + b"\x00" * 7 + b"\x01"
              + b"".join(len(m).to_bytes(4, "big") + m
                         for m in (build_message("/stop"), build_message("/go"))))
    assert hub.handle_packet(bundle, A, 0.0) == []  # /go is answered once applied
    assert hub.drain() == [Go()] and hub.counts()["internal_error"] == 1


def test_min_go_interval_refuses_a_double_tap() -> None:
    hub = ControlHub(go_gate=GoGate(0.25), clock=ManualClock())  # the sequencer's gate
    assert send(hub, A, "/go", now=10.0) == []  # answered once the show did it
    _, body = reply(send(hub, B, "/go", now=10.1)[0])
    assert (body["status"], body["data"]) == ("error", "too soon")
    send(hub, A, "/stop", now=10.1)  # other commands are not limited
    assert send(hub, A, "/essence/go", now=10.4) == []  # answered once the show did it
    assert hub.drain() == [Go(press=1), Stop(), Go(press=2)]  # admitted presses, by id
    assert hub.counts()["too_soon"] == 1


def test_a_go_the_hub_admitted_is_not_checked_again_by_the_sequencer() -> None:
    from performance.runtime.assemble import load_show
    from performance.show.sequencer import Sequencer

    seq = Sequencer(load_show(), SequencerOptions(min_go_interval=0.25))
    hub = ControlHub(go_gate=seq.go_gate, clock=ManualClock())
    send(hub, A, "/go", now=10.0)
    [go] = hub.drain()
    assert seq.handle(go, 10.2).accepted  # applied a frame later: the press counts once
    assert not seq.handle(Go(), 10.2).accepted  # a key's GO within 0.25 s of that press
    assert not seq.handle(go, 10.2).accepted  # an id redeems once, then it is checked
    assert seq.ignored_gos == 2
    assert seq.handle(Go(), 10.5).accepted  # a key's GO is a press the hub knows of
    _, body = reply(send(hub, A, "/go", now=10.6)[0])
    assert (body["status"], body["data"]) == ("error", "too soon")


def test_a_gate_without_the_show_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="the show's clock"):
        ControlHub(go_gate=GoGate(0.25))


def test_without_a_gate_the_hub_checks_no_go_interval() -> None:
    hub = ControlHub()
    for now in (10.0, 10.01, 10.02):
        assert send(hub, A, "/go", now=now) == []  # answered once the show did it
    assert hub.drain() == [Go(), Go(), Go()]


def test_a_go_the_full_queue_refused_does_not_count_as_a_press() -> None:
    queue: CommandQueue[Request] = CommandQueue(maxsize=1)
    hub = ControlHub(queue=queue, go_gate=GoGate(0.25), clock=ManualClock())
    send(hub, A, "/stop", now=10.0)
    assert reply(send(hub, A, "/go", now=10.0)[0])[1]["data"] == "queue full"
    hub.drain()
    assert send(hub, A, "/go", now=10.1) == []  # answered once the show did it


def test_params_coalesce_newest_wins_and_transport_commands_keep_order() -> None:
    hub = ControlHub(HubOptions(rate_limit=1e6))
    for i in range(1000):
        send(hub, A, "/essence/param/glow", i / 1024)
        send(hub, A, "/essence/param/speed", float(i))
        if i == 500:
            send(hub, B, "/go")
            send(hub, B, "/cue/4/start")
            send(hub, B, "/panic")
    assert hub.drain() == [Go(), GotoCue("4", True), Panic(), SetInput("glow", 999 / 1024),
                           SetInput("speed", 999.0)]
    assert hub.coalesced == 1998 and hub.drain() == []


def test_full_queue_refuses_and_says_so() -> None:
    queue: CommandQueue[Request] = CommandQueue(maxsize=2)
    hub = ControlHub(queue=queue)
    assert send(hub, A, "/stop") == send(hub, A, "/stop") == []  # queued: answered later
    _, body = reply(send(hub, A, "/stop")[0])
    assert (body["status"], body["data"]) == ("error", "queue full")
    assert queue.refused == 1 and hub.counts()["queue_full"] == 1


def test_bad_input_is_counted_and_error_replies_are_rate_limited() -> None:
    hub = ControlHub(HubOptions(max_packet=128))
    replies = []
    for i in range(50):
        replies += send(hub, A, "/no/such/address", now=i * 0.001)
    assert 1 <= len(replies) <= 12  # a reflection flood is not answered in full
    assert reply(replies[0])[1]["status"] == "error"
    assert hub.handle_packet(b"\x00garbage", A, 1.0) == []
    assert hub.handle_packet(build_message("/x", ["y" * 300]), A, 1.0) == []
    send(hub, A, "/essence/chaos", 7, now=1.0)
    counts = hub.counts()
    assert counts["unknown_address"] == 50 and counts["malformed"] == 1
    assert counts["oversized"] == 1 and counts["bad_value"] == 1
    assert hub.drain() == []


def test_rate_limit_per_sender() -> None:
    hub = ControlHub(HubOptions(rate_limit=100.0))
    for _ in range(200):
        send(hub, A, "/essence/param/glow", 0.5)
    send(hub, B, "/go")  # another sender keeps its own budget
    assert hub.counts()["rate_limited"] > 100
    assert hub.drain()[0] == Go()


def test_state_reply_and_feedback_to_subscribers() -> None:
    hub = ControlHub()
    hub.publish(RigStatus(act=2, act_name="Enclave", cue_id="3", faces=4))
    _, body = reply(send(hub, A, "/essence/state")[0])
    assert body["data"]["act_name"] == "Enclave" and body["data"]["faces"] == 4  # type: ignore[index]
    assert hub.feedback_due("udp", now=0.0) == []  # nobody subscribed
    send(hub, A, "/updates", 1)
    first = hub.feedback_due("udp", now=0.0)
    assert {k for k, _ in first} == {A}
    addresses = {parse_packet(p)[0].address for _, p in first}
    assert "/essence/status/act" in addresses and "/essence/status/faces" in addresses
    hub.publish(RigStatus(act=2, act_name="Enclave", cue_id="3", faces=5))
    assert hub.feedback_due("udp", now=0.05) == []  # at most 10 a second
    [(_, packet)] = hub.feedback_due("udp", now=0.2)
    assert parse_packet(packet)[0].args == (5,)
    # a quiet UDP subscriber expires
    hub.publish(RigStatus(faces=9))
    assert hub.feedback_due("udp", now=1000.0) == []
    assert hub.access.subscribers() == []


def test_hub_options_from_settings() -> None:
    settings = Settings(osc_passcode="x", min_go_interval=0.5, show_mode=True)
    options = HubOptions.from_settings(settings)
    assert (options.passcode, options.show_mode) == ("x", True)
    # the minimum GO interval is the sequencer's rule, which the hub is given (its gate)
    assert SequencerOptions.from_settings(settings).min_go_interval == 0.5
    assert HubOptions() == HubOptions.from_settings(Settings())  # one place for defaults


def test_the_hub_takes_the_time_of_a_packet_from_its_clock() -> None:
    clock = ManualClock(100.0)
    hub = ControlHub(HubOptions(rate_limit=1.0), clock=clock)
    hub.access.burst = 1.0
    assert hub.handle_packet(build_message("/thump"), A)  # one token at t = 100
    assert hub.handle_packet(build_message("/thump"), A) == []  # none left at t = 100
    clock.advance(1.0)
    assert hub.handle_packet(build_message("/thump"), A)  # refilled at t = 101


def test_connect_guesses_back_off_per_host_to_one_per_30_s() -> None:
    """A brute force at 10,000 guesses a second for an hour gets a few dozen checked."""
    hub = ControlHub(HubOptions(passcode="4821", rate_limit=1e6))
    checked = 0
    for i in range(36_000):  # one guess every 0.1 s of a ManualClock hour, as fast as allowed
        [packet] = send(hub, A, "/connect", f"{i % 10000:04d}", now=i * 0.1)
        checked += reply(packet)[1]["data"] == "badpass"
    assert checked == hub.access.guessed and checked < 140  # ~1 per 30 s after the first few
    assert reply(send(hub, B, "/connect", "4821", now=3600.0)[0])[1]["data"] == "throttled"
    assert reply(send(hub, B, "/connect", "4821", now=3631.0)[0])[1]["data"] == "ok"
    assert reply(send(hub, A, "/connect", "0000", now=3632.0)[0])[1]["data"] == "badpass"


def test_show_mode_is_left_by_an_authenticated_sender_when_a_passcode_is_set() -> None:
    hub = ControlHub(HubOptions(passcode="pw", unlock_code="other", show_mode=True))
    send(hub, A, "/connect", "other")  # the unlock code is no passcode
    assert reply(send(hub, A, "/essence/showmode", 0)[0])[1]["data"] == "connect first"
    send(hub, A, "/connect", "pw", now=1.0)
    assert reply(send(hub, A, "/essence/showmode", 0, now=1.0)[0])[1]["status"] == "ok"
    assert not hub.show_mode
    hub = ControlHub(HubOptions(show_mode=True))  # neither: never over OSC
    send(hub, A, "/connect", "anything")
    assert reply(send(hub, A, "/essence/showmode", 0)[0])[1]["data"] == "not over osc"
    assert reply(send(hub, A, "/essence/showmode", 1)[0])[1]["status"] == "ok"  # locking is


def test_a_stale_go_is_answered_stale_never_handed_to_the_show_and_no_press() -> None:
    clock = ManualClock(10.0)
    gate = GoGate(0.25)
    hub = ControlHub(HubOptions(stale_after=1.0), clock=clock, go_gate=gate)
    send(hub, A, "/go", now=10.0)
    send(hub, A, "/panic", now=10.0)  # a late panic still applies: never worse than none
    clock.advance(1.5)
    [panic] = hub.drain()
    assert panic == Panic()
    [(key, packet)] = hub.replies_due("udp")  # answered at once: it never reaches the show
    assert key == A and reply(packet)[1] == {"workspace_id": "essence", "address": "/go",
                                             "status": "error", "data": "stale"}
    hub.settle([(panic, Outcome(True))])
    assert [reply(p)[1]["status"] for _, p in hub.replies_due("udp")] == ["ok"]
    assert send(hub, A, "/go", now=11.5) == []  # the stale GO was no press: not too soon
    [go] = hub.drain()
    hub.settle([(go, Outcome(False, "end of list"))])
    hub.settle([])  # nothing open: nothing answered twice
    assert [reply(p)[1]["data"] for _, p in hub.replies_due("udp")] == ["end of list"]


def test_newcomers_never_push_out_a_session_that_holds_something() -> None:
    policy = AccessPolicy(passcode="pw", max_sessions=8, max_sessions_per_host=4)
    operator = ("udp", "10.0.0.9", 5000)
    session, _ = policy.admit(operator, 16, 0.0)
    assert session is not None and policy.connect(session, "pw", 0.0).value == "ok"
    for port in range(1000):  # one-off senders on the operator's host and another
        policy.admit(("udp", "10.0.0.9" if port % 2 else "10.0.0.5", port), 16, 1.0 + port)
    assert policy.valued(operator) and len(policy) == 8
    assert sum(1 for key in policy._sessions if key[1] == "10.0.0.9") == 4  # the host's cap
    assert policy.evicted == 1000 - 7
    # a table of sessions that all hold something refuses the newcomer instead
    full = AccessPolicy(max_sessions=2)
    for port in (1, 2):
        kept, _ = full.admit(("udp", "10.0.0.1", port), 16, 0.0)
        assert kept is not None
        kept.subscribed = True
    assert full.admit(("udp", "10.0.0.2", 3), 16, 1.0) == (None, "sessions_full")


def test_commands_aimed_at_no_cue_are_refused_at_the_door_once_the_cues_are_known() -> None:
    hub = ControlHub(HubOptions(rate_limit=1e6))
    assert send(hub, A, "/essence/goto", 999) == []  # the show's cues are not known yet
    hub.publish(RigStatus(cues=(("1", "one"), ("3.5", "three"))))
    for address, args, data in (("/essence/goto", (999,), "no cue 999"),
                                ("/cue/7/start", (), "no cue 7"),
                                ("/playhead/7", (), "no cue 7"),
                                ("/cue/7/stop", (), "cue 7 is not running")):
        _, body = reply(send(hub, B, address, *args, now=1.0)[0])
        assert (body["status"], body["data"]) == ("error", data)
    assert send(hub, B, "/essence/goto", 3.5, now=1.0) == []  # a cue of the show: queued
    assert send(hub, B, "/playhead/next", now=1.0) == []
    assert hub.drain() == [GotoCue("999"), GotoCue("3.5"), SetPlayhead("next")]
    assert hub.counts()["unknown_cue"] == 4


def test_one_sender_cannot_fill_the_queue_ahead_of_another_ones_go() -> None:
    hub = ControlHub(HubOptions(rate_limit=1e6))
    replies = [r for _ in range(100) for r in send(hub, A, "/stop")]
    assert 1 <= len(replies) <= 12  # refusals answered, rate limited
    assert reply(replies[0])[1]["data"] == "queue full"
    assert send(hub, B, "/go") == []  # queued
    assert hub.drain() == [Stop()] * MAX_WAITING_PER_SENDER + [Go()]
    assert hub.counts()["sender_busy"] == 100 - MAX_WAITING_PER_SENDER
    hub.settle([])  # answered: A may send again
    assert send(hub, A, "/stop", now=1.0) == []
    # a ticket the show never answers stops counting against its sender after a while
    for _ in range(MAX_WAITING_PER_SENDER):
        send(hub, B, "/stop", now=2.0)
    assert send(hub, B, "/stop", now=2.0 + AWAITING_EXPIRE_S + 1) == []


def test_a_sender_flooding_refused_messages_is_dropped_unread() -> None:
    hub = ControlHub(HubOptions(rate_limit=1e6))
    for i in range(3000):
        send(hub, A, "/no/such/address", now=i * 1e-4)  # 10,000 a second for 0.3 s
    counts = hub.counts()
    assert REFUSALS_BURST <= counts["unknown_address"] <= REFUSALS_BURST + 0.3 * REFUSALS_RATE + 1
    assert counts["refusal_flood"] == 3000 - counts["unknown_address"]
    assert send(hub, B, "/go", now=0.3) == [] and hub.drain() == [Go()]  # others go on
    assert send(hub, A, "/go", now=5.0) == [] and hub.drain() == [Go()]  # refilled


def test_a_caller_that_asks_learns_why_its_packet_was_refused() -> None:
    hub = ControlHub(HubOptions(allow="10.0.0.0/8"))
    refused: list[str] = []
    assert hub.handle_packet(build_message("/go"), ("ws", "127.0.0.1", 1),
                             refused=refused) == []
    assert refused == ["not_allowed"]
    open_hub = ControlHub(HubOptions(show_mode=True))
    for address, args, why in (("/essence/nothing", (), ["unknown_address"]),
                               ("/essence/param/grain", (0.5,), ["show_mode"]),
                               ("/essence/go", (), [])):  # queued: its answer comes later
        refused = []
        open_hub.handle_packet(build_message(address, args), ("ws", "127.0.0.1", 2),
                               refused=refused)
        assert refused == why, address
    assert open_hub.waiting()[0] == 1  # the GO is in the queue, nothing else


def test_an_argument_type_the_rig_does_not_take_is_answered_like_any_wrong_type() -> None:
    """A blob (`b`) to /go: refused `bad_type` with a reply, as a string to /go is (it was
    only counted and logged: the sender heard nothing)."""
    hub = ControlHub()
    blob = b"/go\x00,b\x00\x00" + (3).to_bytes(4, "big") + b"abc\x00"  # a real OSC blob
    [packet] = hub.handle_packet(blob, A)
    address, body = reply(packet)
    assert (address, body["status"], body["data"]) == ("/reply/go", "error", "bad_type")
    assert hub.counts()["bad_type"] == 1 and hub.drain() == []
    unreadable = b"/g o\x00\x00\x00\x00,b\x00\x00" + (1).to_bytes(4, "big") + b"x\x00\x00\x00"
    assert hub.handle_packet(unreadable, A) == []  # no address to answer: counted only
    assert hub.counts()["bad_type"] == 2
