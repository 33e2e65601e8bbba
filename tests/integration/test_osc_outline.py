"""A long show's cue list reaches the OSC process whole: the cue names and the console's cue
rows cross in their own shared block, only when they change, not in the per-frame status
(whose block holds 64 KB: a 22,000-cue status did not fit it). Real sockets, real child."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from performance.control import HubOptions
from performance.control.feedback import RigStatus
from performance.control.outline import CueRow
from performance.control.process import OscProcess
from performance.control.wire import build_message, parse_packet
from performance.core.clock import MonotonicClock
from performance.show.commands import GotoCue
from tests.integration.conftest import LOCAL, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

CUES = 22_000


@pytest.fixture
def process() -> Iterator[OscProcess]:
    proc = OscProcess(HubOptions(), host=LOCAL, udp_port=0, tcp_port=None, reply_port=0,
                      clock=MonotonicClock())
    proc.start()
    yield proc
    proc.stop()


def ask(port: int, address: str, timeout: float = 0.5) -> dict[str, object] | None:
    """Send one message; the reply's JSON, None when no reply came within `timeout` (a
    command the hub queued for the show, which nobody runs here, waits for its answer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCAL, 0))
        s.settimeout(timeout)
        s.sendto(build_message(address), (LOCAL, port))
        try:
            data, _ = s.recvfrom(65535)
        except TimeoutError:
            return None
    (reply,) = parse_packet(data)
    assert reply.address == "/reply" + address
    return dict(json.loads(str(reply.args[0])))


def test_a_22000_cue_show_is_known_to_the_osc_process(process: OscProcess) -> None:
    names = tuple((str(i), f"cue {i}") for i in range(CUES))
    rows = tuple(CueRow(id=i, name=n, act=1, act_name="one", visual="enclave", pre_wait=0.0,
                        transition=1.0, post_wait=0.0, next="none") for i, n in names)
    status = RigStatus(cues=names, outline=rows, next_cue_id="0")
    assert process.udp_address is not None
    port = process.udp_address[1]
    process.publish(status)
    # the hub refuses a cue the show does not have at once: once the whole list is there,
    # the last cue is taken and an unknown one refused
    def refused() -> bool:
        reply = ask(port, "/cue/99999/start")
        return reply is not None and reply.get("data") == "no cue 99999"

    wait_for(refused, 10.0)
    process.publish(status)  # the same list again: nothing new to share
    assert ask(port, f"/cue/{CUES - 1}/start") is None  # known: queued for the show
    got: list[object] = []
    wait_for(lambda: bool(got.extend(process.drain())) or GotoCue(str(CUES - 1), True) in got,
             5.0)
    assert GotoCue(str(CUES - 1), True) in got
