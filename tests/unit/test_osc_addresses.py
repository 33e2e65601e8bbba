"""OSC address table, wire format (bundles, SLIP, length prefix) and feedback diffs (no sockets)."""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import pytest

from performance.control.actions import (
    AddressError,
    Ignored,
    ParamRange,
    ParamSet,
    SessionOp,
    Transport,
)
from performance.control.address_table import ADDRESS_TABLE, AddressInfo
from performance.control.addresses import (
    _SWITCHES,
    _TRIGGERS,
    is_editing,
    resolve,
)
from performance.control.feedback import (
    PLAYBACK_POSITION,
    RigStatus,
    SubscriberFeedback,
    rig_status_from,
    status_messages,
)
from performance.control.wire import (
    Args,
    ArgValue,
    Framing,
    StreamDecoder,
    WireError,
    build_message,
    length_encode,
    parse_packet,
    slip_encode,
)
from performance.show.commands import (
    Back,
    Blackout,
    Go,
    GotoCue,
    HardStop,
    HoldCondition,
    Panic,
    Pause,
    Resume,
    SetChaosMode,
    SetPlayhead,
    Stop,
)
from performance.show.seqoptions import EDITING_COMMANDS


def bundle(*elements: bytes, timetag: bytes = b"\x00\x00\x00\x00\x00\x00\x00\x01") -> bytes:
    body = b"".join(struct.pack(">i", len(e)) + e for e in elements)
    return b"#bundle\x00" + timetag + body


def msg(address: str, *args: ArgValue) -> tuple[str, Args, str]:
    """(address, args, types) as parse_packet would give them."""
    [m] = parse_packet(build_message(address, list(args)))
    return m.address, m.args, m.types


@pytest.mark.parametrize(
    ("address", "command", "editing"),
    [
        ("/go", Go(), False),
        ("/stop", Stop(), False),
        ("/panic", Panic(), False),
        ("/hardStop", HardStop(), False),
        ("/pause", Pause(), False),
        ("/resume", Resume(), False),
        ("/playhead/next", SetPlayhead("next"), True),
        ("/playhead/previous", SetPlayhead("previous"), True),
        ("/playhead/4", SetPlayhead("4"), True),
        ("/cue/3/start", GotoCue("3", True), True),
        ("/cue/3.5/start", GotoCue("3.5", True), True),
        ("/essence/go", Go(), False),
        ("/essence/back", Back(), True),
        ("/workspace/ABC-123/go", Go(), False),
        ("/workspace/essence/cue/7/start", GotoCue("7", True), True),
    ],
)
def test_transport_addresses_make_their_commands(address: str, command: object,
                                                 editing: bool) -> None:
    """Editing (refused in show mode) is exactly what the locked sequencer refuses."""
    resolved = resolve(*msg(address))
    assert resolved.action == Transport(command)  # type: ignore[arg-type]
    assert resolved.editing is editing
    assert editing == isinstance(command, EDITING_COMMANDS)


def test_trigger_with_one_number_fires_on_press_and_ignores_release() -> None:
    assert resolve(*msg("/go", 1.0)).action == Transport(Go())
    assert resolve(*msg("/go", 1)).action == Transport(Go())
    assert isinstance(resolve(*msg("/go", 0.0)).action, Ignored)
    assert isinstance(resolve(*msg("/cue/2/start", 0)).action, Ignored)
    with pytest.raises(AddressError) as err:
        resolve(*msg("/go", "now"))
    assert err.value.kind == "bad_type"
    with pytest.raises(AddressError) as err:
        resolve(*msg("/go", 1, 2))
    assert err.value.kind == "bad_type"


def test_rig_addresses_with_arguments() -> None:
    assert resolve(*msg("/essence/goto", "2.5")).action == Transport(GotoCue("2.5"))
    assert resolve(*msg("/essence/goto", 4)).action == Transport(GotoCue("4"))
    assert resolve(*msg("/essence/goto", 3.5)).action == Transport(GotoCue("3.5"))
    chaos = resolve(*msg("/essence/chaos", 1))
    assert chaos.action == Transport(SetChaosMode(True)) and chaos.editing
    assert resolve(*msg("/essence/goto", "2.5")).editing
    assert not resolve(*msg("/essence/hold", 1)).editing
    assert not resolve(*msg("/essence/blackout", 1)).editing
    assert resolve(*msg("/essence/chaos", 0.0)).action == Transport(SetChaosMode(False))
    assert resolve(*msg("/essence/hold", True)).action == Transport(HoldCondition(True))
    assert resolve(*msg("/essence/blackout")).action == Transport(Blackout(None))
    assert resolve(*msg("/essence/blackout", 1)).action == Transport(Blackout(True))
    assert resolve(*msg("/updates", 1)).action == SessionOp("updates", True)
    assert resolve(*msg("/connect", "1234")).action == SessionOp("connect", "1234")
    assert resolve(*msg("/connect", 1234)).action == SessionOp("connect", "1234")
    assert resolve(*msg("/essence/showmode", 1)).action == SessionOp("showmode", True)
    thump = resolve(*msg("/thump"))
    assert thump.action == SessionOp("thump") and not thump.needs_auth


def test_param_is_editing_and_validated() -> None:
    resolved = resolve(*msg("/essence/param/glow", 0.25))
    assert resolved.action == ParamSet("glow", 0.25) and resolved.editing
    assert resolve(*msg("/essence/param/tint", 0.1, 0.5, 1)).action == ParamSet(
        "tint", (pytest.approx(0.1), 0.5, 1.0)  # type: ignore[arg-type]
    )
    ranges = {"glow": (0.0, 1.0)}
    with pytest.raises(AddressError) as err:
        resolve(*msg("/essence/param/glow", 1.5), params=ranges)
    assert err.value.kind == "bad_value"
    with pytest.raises(AddressError) as err:
        resolve(*msg("/essence/param/other", 0.5), params=ranges)
    assert err.value.kind == "unknown_address"
    with pytest.raises(AddressError) as err:
        resolve(*msg("/essence/param/glow", "high"))
    assert err.value.kind == "bad_type"


def test_a_param_takes_as_many_numbers_as_its_input_has_components() -> None:
    """Refused at the door with a reply, as the show would refuse it (faders get none)."""
    ranges = {"intensity": ParamRange(0.0, 2.0, 1), "centre": ParamRange(-1.0, 1.0, 2)}
    assert resolve(*msg("/essence/param/centre", 0.5, -0.5), params=ranges).action == \
        ParamSet("centre", (0.5, -0.5))
    for name, values in (("intensity", (0.5, 0.5)), ("centre", (0.5,)),
                         ("centre", (0.1, 0.2, 0.3))):
        with pytest.raises(AddressError) as err:
            resolve(*msg(f"/essence/param/{name}", *values), params=ranges)
        assert err.value.kind == "bad_type"
        width = ranges[name].width
        assert str(err.value).endswith(f"{name} takes {width} number(s), got {len(values)}")
    # a plain (low, high) pair means one number
    with pytest.raises(AddressError):
        resolve(*msg("/essence/param/glow", 0.5, 0.5), params={"glow": (0.0, 1.0)})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(value: float) -> None:
    raw = b"/essence/param/glow\x00,f\x00\x00" + struct.pack(">f", value)
    [m] = parse_packet(raw)
    with pytest.raises(AddressError) as err:
        resolve(m.address, m.args, m.types)
    assert err.value.kind == "bad_value"
    raw_go = b"/go\x00,d\x00\x00" + struct.pack(">d", value)
    [g] = parse_packet(raw_go)
    with pytest.raises(AddressError):
        resolve(g.address, g.args, g.types)


@pytest.mark.parametrize(
    ("address", "args", "kind"),
    [
        ("/nothing", (), "unknown_address"),
        ("/cue/*/start", (), "bad_value"),  # patterns are never expanded
        ("/cue/../etc/start", (), "unknown_address"),
        ("/cue/{1,2}/start", (), "bad_value"),
        ("/essence/param/../../x", (0.5,), "unknown_address"),
        ("/essence/param/a b", (0.5,), "unknown_address"),
        ("/workspace//go", (), "unknown_address"),
        ("/essence/chaos", (2,), "bad_value"),
        ("/essence/chaos", (0.5,), "bad_value"),
        ("/essence/chaos", (), "bad_type"),
        ("/essence/goto", ("3;rm",), "bad_value"),
        ("/updates", ("yes",), "bad_type"),
    ],
)
def test_bad_messages_are_refused_with_their_kind(
    address: str, args: tuple[object, ...], kind: str
) -> None:
    types = "".join("f" if isinstance(a, float) else "i" if isinstance(a, int) else "s"
                    for a in args)
    with pytest.raises(AddressError) as err:
        resolve(address, args, types)  # type: ignore[arg-type]
    assert err.value.kind == kind


def test_table_lists_every_route_once() -> None:
    routes = [info.route for info in ADDRESS_TABLE]
    assert len(routes) == len(set(routes))
    assert {i.route for i in ADDRESS_TABLE if i.editing} == {
        "/playhead/next", "/playhead/previous", "/playhead/{id}", "/cue/{id}/start",
        "/essence/goto", "/essence/param/{name}", "/essence/chaos", "/cue/{id}/go", "/essence/back",
        "/cue_id/{id}/start", "/cue_id/{id}/go", "/select/{id}", "/select_id/{id}",
        "/playheadID/{id}"}
    assert {i.route for i in ADDRESS_TABLE if not i.needs_auth} == {
        "/thump", "/workspaces", "/connect", "/disconnect", "/version"}


# arguments of an example message for a table row's `args` (no argument otherwise)
EXAMPLE_ARGS: dict[str, tuple[ArgValue, ...]] = {
    "0|1": (1,), "id": ("3",), "float (or 2-4 floats)": (0.5,)}


@pytest.mark.parametrize("info", ADDRESS_TABLE, ids=lambda i: i.route)
def test_each_route_resolves_to_its_row_and_its_editing_flag(info: AddressInfo) -> None:
    """The table's `editing` column (for the docs) is what the hub decides from the action."""
    address = (info.route.replace("{id}", "3").replace("{name}", "glow")
               .replace("{property}", "name").replace("{command}", "stop"))
    resolved = resolve(*msg(address, *EXAMPLE_ARGS.get(info.args, ())))
    assert resolved.route == info.route
    assert resolved.editing is info.editing is is_editing(resolved.action)
    assert resolved.needs_auth is info.needs_auth


def test_every_fixed_route_is_in_the_table() -> None:
    """A route resolve() knows but the table lacks would fail each of its messages."""
    table = {info.route for info in ADDRESS_TABLE}
    assert set(_TRIGGERS) <= table and set(_SWITCHES) <= table


def _doc_editing_column(path: Path) -> dict[str, bool]:
    """route -> whether the 'editing' column of a markdown address table says yes."""
    rows = re.findall(r"^\| `(/[^`]*)` \|(.*)$", path.read_text(encoding="utf-8"), re.M)
    out = {}
    for route, rest in rows:
        cells = [c.strip() for c in rest.split(" | ")]
        if len(cells) == 5:  # arguments, what it does, editing, auth, reply
            out[route] = cells[2].strip("*") == "yes"
    return out


@pytest.mark.parametrize("doc", ["docs/osc.md", "README.md"])
def test_user_documentation_lists_every_address_and_its_editing_flag(doc: str) -> None:
    path = Path(__file__).resolve().parents[2] / doc
    text = path.read_text(encoding="utf-8")
    missing = [i.route for i in ADDRESS_TABLE if f"| `{i.route}` |" not in text]
    assert missing == []
    editing = _doc_editing_column(path)
    assert {i.route: i.editing for i in ADDRESS_TABLE} == {
        i.route: editing.get(i.route) for i in ADDRESS_TABLE}


# --- wire -----------------------------------------------------------------------------------


def test_nested_bundles_come_out_in_sent_order() -> None:
    a, b, c = (build_message(f"/m/{i}", [i]) for i in (1, 2, 3))
    future = struct.pack(">Q", (2**32) * (4_000_000_000))  # far in the future: not waited on
    packet = bundle(a, bundle(b, timetag=future), c)
    assert [m.address for m in parse_packet(packet)] == ["/m/1", "/m/2", "/m/3"]


@pytest.mark.parametrize(
    ("packet", "kind"),
    [
        (b"", "malformed"),
        (b"hello world!", "malformed"),
        (b"/go\x00,i\x00\x00\x00\x00", "malformed"),  # int truncated
        (b"/go", "malformed"),
        (b"#bundle\x00" + b"\x00" * 8 + b"\x00\x00\x00\x40/go\x00", "malformed"),
        (b"#bundle\x00\x00", "malformed"),
        (b"/go\x00,[i]\x00\x00\x00\x00\x00\x00\x00\x01", "bad_type"),
        (b"/go\x00,b\x00\x00\x00\x00\x00\x00", "bad_type"),
    ],
)
def test_malformed_packets_raise_wire_errors(packet: bytes, kind: str) -> None:
    with pytest.raises(WireError) as err:
        parse_packet(packet)
    assert err.value.kind == kind


def test_bundles_nested_too_deep_are_refused() -> None:
    packet = build_message("/go")
    for _ in range(10):
        packet = bundle(packet)
    with pytest.raises(WireError):
        parse_packet(packet)


def test_slip_round_trip_across_chunks_and_escapes() -> None:
    payloads = [b"\xc0\xdb/odd\xdb\xdc", build_message("/go"), build_message("/x", ["\xdb"])]
    stream = b"".join(slip_encode(p) for p in payloads)
    decoder = StreamDecoder(max_packet=1024)
    got: list[bytes] = []
    for i in range(0, len(stream), 3):
        got += decoder.feed(stream[i:i + 3])
    assert got == payloads and decoder.mode is Framing.SLIP
    assert decoder.encode(b"/a\x00\x00")[0] == 0xC0


def test_slip_oversized_frame_is_skipped_and_next_frame_survives() -> None:
    decoder = StreamDecoder(max_packet=64)
    got = decoder.feed(slip_encode(b"/" + b"x" * 500) + slip_encode(build_message("/go")))
    assert got == [build_message("/go")] and decoder.oversized == 1


def test_length_prefixed_stream_like_liblo() -> None:
    decoder = StreamDecoder(max_packet=64)
    stream = length_encode(build_message("/go")) + length_encode(build_message("/stop"))
    assert decoder.feed(stream[:5]) == []
    assert decoder.feed(stream[5:]) == [build_message("/go"), build_message("/stop")]
    assert decoder.mode is Framing.LENGTH
    assert decoder.encode(b"/a\x00\x00")[:4] == b"\x00\x00\x00\x04"
    decoder.feed(struct.pack(">I", 1 << 20))
    assert decoder.broken and decoder.oversized == 1


# --- feedback -------------------------------------------------------------------------------


def test_status_messages_send_only_real_changes() -> None:
    first = RigStatus(act=1, cue_id="1", next_cue_id="2", countdown=5.0, fps=60.0)
    all_msgs = dict(status_messages(None, first))
    assert all_msgs["/essence/status/act"] == (1,)
    assert all_msgs["/essence/status/cue"] == ("1",)
    assert PLAYBACK_POSITION not in all_msgs  # as QLab: on a change only (see feedback.py)
    assert all_msgs["/update/workspace/essence/cue_id/1"] == ()  # cue 1 started
    assert all_msgs["/essence/status/countdown"] == (5.0,)
    jitter = RigStatus(act=1, cue_id="1", next_cue_id="2", countdown=4.95, fps=59.8)
    assert status_messages(first, jitter) == []
    moved = RigStatus(act=1, cue_id="2", next_cue_id=None, countdown=None, fps=59.8)
    changed = dict(status_messages(first, moved))
    assert changed == {
        "/essence/status/cue": ("2",),
        "/essence/status/next": ("",),
        PLAYBACK_POSITION: ("",),
        "/essence/status/countdown": (-1.0,),
        "/update/workspace/essence/cue_id/1": (),  # QLab's pushes: cue 1 stopped, 2 started
        "/update/workspace/essence/cue_id/2": (),
    }


def test_subscriber_feedback_is_rate_limited_and_accumulates_small_drift() -> None:
    state = SubscriberFeedback(max_rate=10.0)
    assert state.due(RigStatus(fps=60.0), now=0.0)
    assert state.due(RigStatus(fps=30.0), now=0.05) == []  # too soon
    assert dict(state.due(RigStatus(fps=30.0), now=0.1)) == {"/essence/status/fps": (30.0,)}
    assert state.due(RigStatus(fps=30.3), now=0.3) == []  # below epsilon
    assert dict(state.due(RigStatus(fps=30.6), now=0.4)) == {"/essence/status/fps": (30.6,)}


def test_rig_status_from_the_sequencers_status() -> None:
    from performance.show.status import SequencerPhase, SequencerStatus

    seq = SequencerStatus(phase=SequencerPhase.POST_WAIT, act=2, act_name="Enclave", cue_id="4",
                          next_cue_id="5", post_wait_left=3.5, condition_left=9.0)
    status = rig_status_from(seq, faces=3, chaos=0.4, fps=59.9, health="ok")
    assert status == RigStatus(act=2, act_name="Enclave", cue_id="4", next_cue_id="5",
                               countdown=3.5, state="post_wait", faces=3, chaos=0.4,
                               fps=59.9, health="ok", post_wait_left=3.5, condition_left=9.0)
    assert type(status.state) is str  # the wire value, not the enum


@pytest.mark.parametrize("address", ["/panicInTime", "/cue/5/panicInTime",
                                     "/workspace/essence/panicInTime"])
def test_panic_in_time_takes_seconds_and_refuses_a_bad_time(address: str) -> None:
    aimed = "5" if "/cue/" in address else None
    for args, types in (((), ""), ((2.5,), "f"), ((3,), "i")):
        assert resolve(address, args, types).action == Transport(Panic(aimed))
    for args, types, kind in (((math.nan,), "f", "bad_value"), ((math.inf,), "f", "bad_value"),
                              ((-1.0,), "f", "bad_value"), (("soon",), "s", "bad_type"),
                              ((1.0, 2.0), "ff", "bad_type"), ((b"x",), "b", "bad_type")):
        with pytest.raises(AddressError) as refused:
            resolve(address, args, types)
        assert refused.value.kind == kind, args


def test_stop_and_panic_for_one_cue_carry_its_id_and_the_playhead_ones_do_not() -> None:
    assert resolve("/cue/5/stop", (), "").action == Transport(Stop("5"))
    assert resolve("/cue_id/5/panic", (), "").action == Transport(Panic("5"))
    assert resolve("/cue/5/panicInTime", (), "").action == Transport(Panic("5"))
    assert resolve("/cue/active/stop", (), "").action == Transport(Stop())
    assert resolve("/stop", (), "").action == Transport(Stop())
