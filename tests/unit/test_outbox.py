"""The replies owed to senders: taken once, by their own transport's server, which is woken."""

from __future__ import annotations

from performance.control.outbox import Outbox


def test_replies_go_to_their_own_transport_once_in_order() -> None:
    box = Outbox()
    udp, tcp, ws = ("udp", "10.0.0.2", 9000), ("tcp", "10.0.0.3", 53000), ("ws", "10.0.0.4", 1)
    box.add(udp, b"a")
    box.add(tcp, b"b")
    box.add(udp, b"c")
    box.add(ws, b"d")
    assert box.due("udp") == [(udp, b"a"), (udp, b"c")]
    assert box.due("udp") == []  # taken once
    assert box.due("tcp") == [(tcp, b"b")]
    assert box.due("ws") == [(ws, b"d")]


def test_every_watcher_is_woken_until_it_stops_watching() -> None:
    box = Outbox()
    woken: list[str] = []
    stop_udp = box.watch(lambda: woken.append("udp"))
    box.watch(lambda: woken.append("console"))
    box.notify()
    assert woken == ["udp", "console"]
    stop_udp()
    stop_udp()  # twice is harmless
    box.notify()
    assert woken == ["udp", "console", "console"]
