"""OSC wire format: parse packets (nested bundles), build messages, frame TCP streams.

Parsing of a single message's arguments uses python-osc's `OscMessage`; bundles are walked
here so that nesting depth and element sizes are checked and contained messages come out in
the order they were sent (python-osc's own packet parser sorts by time tag).

TCP framing: OSC 1.1 uses SLIP (RFC 1055, "double END": 0xC0 before and after each packet);
QLab, Companion and Open Stage Control speak it. liblo 0.31 (Debian's `oscsend
osc.tcp://...`) sends OSC 1.0 style frames instead: a 4-byte big-endian length, then the
packet. `StreamDecoder` tells the two apart from a connection's first byte (0xC0, '/' or
'#' mean SLIP; anything else a length prefix) and `StreamDecoder.encode` answers in the
same framing.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pythonosc.osc_message import OscMessage, ParseError
from pythonosc.osc_message_builder import BuildError, OscMessageBuilder

BUNDLE_PREFIX = b"#bundle\x00"
MAX_BUNDLE_DEPTH = 8
ACCEPTED_TYPES = frozenset("ifdshTFN")  # argument type tags the rig understands

ArgValue = int | float | str | bool | None
Args = tuple[ArgValue, ...]


class WireError(ValueError):
    """A packet that is not valid OSC; `kind` names the problem for the counters;
    `address`, the message's address when it was readable (a reply can go to it)."""

    def __init__(self, kind: str, detail: str, address: str | None = None) -> None:
        self.kind = kind
        self.address = address
        super().__init__(f"{kind}: {detail}")


@dataclass(frozen=True)
class Message:
    """One decoded OSC message: address pattern, argument values and their type tags."""

    address: str
    args: Args
    types: str


def parse_packet(data: bytes, max_depth: int = MAX_BUNDLE_DEPTH) -> list[Message]:
    """Every message in a packet, in the order sent (bundles flattened, time tags ignored).

    Raises `WireError("malformed", ...)` for anything that is not OSC, and
    `WireError("bad_type", ...)` for a message with argument types the rig does not accept.
    """
    out: list[Message] = []
    _walk(bytes(data), 0, max_depth, out)
    return out


def _walk(data: bytes, depth: int, max_depth: int, out: list[Message]) -> None:
    if data.startswith(BUNDLE_PREFIX):
        if depth >= max_depth:
            raise WireError("malformed", f"bundles nested deeper than {max_depth}")
        if len(data) < 16:
            raise WireError("malformed", "bundle without a time tag")
        index = 16  # "#bundle\0" + 8-byte time tag (not waited for: see docs/osc.md)
        while index < len(data):
            if index + 4 > len(data):
                raise WireError("malformed", "truncated bundle element size")
            (size,) = struct.unpack_from(">i", data, index)
            index += 4
            if size <= 0 or size % 4 or index + size > len(data):
                raise WireError("malformed", f"bad bundle element size {size}")
            _walk(data[index:index + size], depth + 1, max_depth, out)
            index += size
        return
    out.append(parse_message(data))


def parse_message(data: bytes) -> Message:
    """Decode one OSC message (not a bundle)."""
    if not data.startswith(b"/") or len(data) % 4:
        raise WireError("malformed", "not an OSC message")
    end = data.find(b"\x00")
    if end < 0:
        raise WireError("malformed", "address not terminated")
    tag_start = (end + 4) & ~3
    types = ""
    if tag_start < len(data):
        tag_end = data.find(b"\x00", tag_start)
        if tag_end < 0 or data[tag_start:tag_start + 1] != b",":
            raise WireError("malformed", "missing type tag string")
        try:
            types = data[tag_start + 1:tag_end].decode("ascii")
        except UnicodeDecodeError as exc:
            raise WireError("malformed", "type tags not ASCII") from exc
        unknown = set(types) - ACCEPTED_TYPES
        if unknown:
            named = data[:end].decode("ascii", "replace")
            raise WireError("bad_type", f"argument types {''.join(sorted(unknown))!r}",
                            named if named.isprintable() and " " not in named else None)
    try:
        message = OscMessage(data)
        address = message.address
        args = tuple(message.params)
    except (ParseError, IndexError, ValueError, struct.error) as exc:
        raise WireError("malformed", str(exc)) from exc
    if not address.isprintable() or " " in address:
        raise WireError("malformed", "address has unprintable characters")
    if len(args) != len(types):
        raise WireError("malformed", "arguments do not match their type tags")
    return Message(address, args, types)


def build_message(address: str, args: Sequence[ArgValue] = ()) -> bytes:
    """One OSC message as bytes: ints as 'i' (or 'h' when large), floats 'f', str 's'."""
    builder = OscMessageBuilder(address=address)
    for value in args:
        if isinstance(value, bool):
            builder.add_arg(value, "T" if value else "F")
        elif isinstance(value, int):
            big = not -(2**31) <= value < 2**31
            builder.add_arg(value, "h" if big else "i")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{address}: refusing to send non-finite {value}")
            builder.add_arg(value, "f")
        elif isinstance(value, str):
            builder.add_arg(value, "s")
        elif value is None:
            builder.add_arg(None, "N")
        else:
            raise ValueError(f"{address}: cannot send {type(value).__name__}")
    try:
        return bytes(builder.build().dgram)
    except BuildError as exc:
        raise ValueError(f"{address}: {exc}") from exc


# --- TCP framing --------------------------------------------------------------------------

END = 0xC0


def slip_encode(packet: bytes) -> bytes:
    """SLIP-frame one packet with END on both sides (OSC 1.1 "double END")."""
    body = packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return b"\xc0" + body + b"\xc0"


def length_encode(packet: bytes) -> bytes:
    """Frame one packet OSC 1.0 style: 4-byte big-endian size, then the packet."""
    return struct.pack(">I", len(packet)) + packet


class Framing(StrEnum):
    """How a TCP stream frames its OSC packets."""

    SLIP = "slip"  # OSC 1.1: SLIP-encoded (END bytes around each packet)
    LENGTH = "length"  # OSC 1.0: a 4-byte big-endian size before each packet


class StreamDecoder:
    """Splits one TCP connection's bytes into packets (SLIP or length prefix, auto-detected).

    `feed` returns complete packets. A frame larger than `max_packet` is skipped (SLIP) and
    counted in `oversized`; for length-prefixed streams an oversized or impossible length
    cannot be resynchronised, so `broken` is set and the connection should be closed.
    """

    def __init__(self, max_packet: int) -> None:
        self.max_packet = max_packet
        self.mode: Framing | None = None  # known after the first bytes
        self.oversized = 0
        self.broken = False
        self._buf = bytearray()
        self._frame = bytearray()
        self._skipping = False

    def encode(self, packet: bytes) -> bytes:
        """Frame a reply the same way this connection frames its packets."""
        return length_encode(packet) if self.mode is Framing.LENGTH else slip_encode(packet)

    def feed(self, data: bytes) -> list[bytes]:
        """Take received bytes; return the packets they complete."""
        if not data or self.broken:
            return []
        if self.mode is None:
            slip = data[0] in (END, ord("/"), ord("#"))
            self.mode = Framing.SLIP if slip else Framing.LENGTH
        return self._feed_slip(data) if self.mode is Framing.SLIP else self._feed_length(data)

    def _feed_length(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while len(self._buf) >= 4:
            (size,) = struct.unpack_from(">I", self._buf, 0)
            if size > self.max_packet or size % 4:
                self.oversized += 1
                self.broken = True
                self._buf.clear()
                return out
            if len(self._buf) < 4 + size:
                break
            out.append(bytes(self._buf[4:4 + size]))
            del self._buf[:4 + size]
        return out

    def _feed_slip(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        parts = data.split(b"\xc0")
        for i, part in enumerate(parts):
            if i > 0:  # an END closed the frame collected so far
                self._finish_slip(out)
            if self._skipping:
                continue
            self._frame += part
            if len(self._frame) > 2 * self.max_packet:  # escaped bytes take at most two
                self.oversized += 1
                self._skipping = True
                self._frame.clear()
        return out

    def _finish_slip(self, out: list[bytes]) -> None:
        raw, skipping = bytes(self._frame), self._skipping
        self._frame.clear()
        self._skipping = False
        if skipping or not raw:
            return
        packet = raw.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")
        if len(packet) > self.max_packet:
            self.oversized += 1
            return
        out.append(packet)
