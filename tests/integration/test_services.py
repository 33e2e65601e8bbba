"""Show services around a live run: cue OSC out, feedback, show-file reload, health."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import pytest

from performance.config import DEFAULT_CUES, Settings
from performance.control.hub import ControlHub
from performance.control.sender import OscSender
from performance.control.wire import build_message, parse_packet
from performance.core.clock import ManualClock
from performance.core.status import InputState, InputStatus
from performance.core.types import RoomEmotion
from performance.runtime.assemble import build_show
from performance.runtime.services import ShowServices
from performance.show.autogo import AutoGo
from performance.show.commands import GotoCue

pytestmark = pytest.mark.integration

ROOM = RoomEmotion(timestamp=0.0)


def services_for(cues: Path, clock: ManualClock) -> ShowServices:
    show = build_show(Settings(cues=str(cues)), visual=None, visuals=[])
    return ShowServices(show=show, commands=ControlHub(), clock=clock, hub=None)


def test_a_fired_cue_sends_its_osc_to_the_desk(tmp_path: Path) -> None:
    desk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    desk.bind(("127.0.0.1", 0))
    desk.settimeout(5.0)
    port = desk.getsockname()[1]
    fire = 'address = "/eos/cue/1/7/fire"'
    text = DEFAULT_CUES.read_text(encoding="utf-8").replace(
        fire, f'{fire}\ntarget = "127.0.0.1:{port}"')
    cues = tmp_path / "show.toml"
    cues.write_text(text, encoding="utf-8")
    clock = ManualClock()
    services = services_for(cues, clock)
    services.sender = OscSender()
    services.sender.start()
    try:
        services.show.apply(GotoCue("7"), 0.0)
        services.publish(services.show.tick(0.0, ROOM), ROOM)
        (message,) = parse_packet(desk.recv(2048))
        assert message.address == "/eos/cue/1/7/fire"
    finally:
        services.sender.stop()
        desk.close()


def test_feedback_health_and_parameter_ranges_follow_the_show(tmp_path: Path) -> None:
    clock = ManualClock()
    services = services_for(DEFAULT_CUES, clock)
    services.hub = ControlHub()
    services.watch_input(lambda: InputStatus(InputState.LOST, "camera 0 (/dev/video0): no frame"))
    services.show.apply(GotoCue("1"), 0.0)
    services.publish(services.show.tick(0.0, ROOM), ROOM)
    status = services.hub.status.peek()
    assert status is not None and status.cue_id == "1"
    assert status.health == "input lost: camera 0 (/dev/video0): no frame"
    assert services.hub.param_ranges is not None
    assert services.hub.param_ranges["intensity"] == (0.0, 2.0, 1)  # the enclave's input


def test_the_osc_status_carries_the_run_s_latency_and_perception_rate() -> None:
    """The loop's statistics reach `/essence/state` and the status addresses, recomputed at
    most twice a second (they sort their window)."""
    from performance.control.feedback import status_json, status_messages
    from performance.runtime.framestats import FrameStats

    clock = ManualClock()
    services = services_for(DEFAULT_CUES, clock)
    services.hub = ControlHub()
    stats = FrameStats(target_period=1 / 60)
    asked = []

    def summary():
        asked.append(clock.now())
        return stats.summary()

    services.watch_stats(summary)
    for i in range(60):
        stats.record(1 / 60)
        stats.observation(0.040 + 0.001 * (i % 20))
        stats.presented(0.070)
    stats.perceived = 30
    services.publish(services.show.tick(0.0, ROOM), ROOM)
    status = services.hub.status.peek()
    assert status is not None
    assert status.latency_ms == pytest.approx(58.0)  # capture -> emotion p95
    assert status.presented_ms == pytest.approx(70.0)
    assert status.perception_fps == pytest.approx(30.0)  # 30 frames in 1 s of frames
    assert status_json(status)["latency_ms"] == pytest.approx(58.0)
    sent = dict(status_messages(None, status))
    assert sent["/essence/status/latency_ms"] == (pytest.approx(58.0),)
    assert sent["/essence/status/perception_fps"] == (pytest.approx(30.0),)
    clock.advance(0.1)
    services.publish(services.show.tick(0.1, ROOM), ROOM)
    assert asked == [0.0]  # not again within half a second
    clock.advance(0.5)
    services.publish(services.show.tick(0.6, ROOM), ROOM)
    assert asked == [0.0, pytest.approx(0.6)]


def test_an_edited_show_file_reloads_and_a_broken_edit_keeps_the_running_show(
    tmp_path: Path,
) -> None:
    cues = tmp_path / "show.toml"
    shutil.copy(DEFAULT_CUES, cues)
    clock = ManualClock()
    services = services_for(cues, clock)
    show = services.show
    show.apply(GotoCue("1"), 0.0)
    services.publish(show.tick(0.0, ROOM), ROOM)  # remembers the file's time

    def parsed() -> None:
        """Publish (as frames do) until the edit, parsed in the background, is taken."""
        deadline = time.monotonic() + 20.0
        while True:
            clock.advance(1.0)
            services.publish(show.tick(clock.now(), ROOM), ROOM)
            if services._show_parse is None or time.monotonic() > deadline:
                return
            time.sleep(0.02)

    renamed = cues.read_text().replace('name = "The gates of Neo-Lumen"', 'name = "The gates"')
    cues.write_text(renamed)
    _touch_later(cues)
    parsed()
    assert show.status().cue_name == "The gates" and services.show_file_error is None

    cues.write_text(renamed.replace('visual = "enclave"', 'visual = "enclav"', 1))
    _touch_later(cues)
    parsed()
    assert services.show_file_error is not None and "unknown visual 'enclav'" in \
        services.show_file_error and "show.toml:" in services.show_file_error
    assert show.status().cue_id == "1" and show.status().cue_name == "The gates"
    assert services.health() == "show file edit refused"


def test_auto_go_setting_wraps_the_sequencer() -> None:
    show = build_show(Settings(cues=str(DEFAULT_CUES), auto_go=3.0), visual=None, visuals=[])
    assert isinstance(show, AutoGo) and show.after == 3.0


def _touch_later(path: Path) -> None:
    """Make sure the modification time differs even on a coarse file-system clock."""
    import os

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_the_end_of_a_run_fades_the_sound_before_stopping_it() -> None:
    from performance.audio.engine import AudioEngine
    from performance.audio.params import AudioParams

    events: list[tuple[str, float]] = []

    class Output:  # records what reaches the audio process, in order
        silent, reason = False, "playing"

        def publish(self, params: AudioParams) -> None:
            events.append(("publish", params.master))

        def stop(self) -> None:
            events.append(("stop", 0.0))

    output = Output()
    services = ShowServices(show=build_show(Settings(), visual=None, visuals=[]),
                            commands=ControlHub(), clock=ManualClock(),
                            audio=AudioEngine(output), output=output)
    services.publish(services.show.tick(0.0, ROOM), ROOM)
    services.close(sleep=lambda s: events.append(("sleep", s)))
    assert events[0] == ("publish", 1.0)
    assert events[1:] == [("publish", 0.0), ("sleep", 0.25), ("stop", 0.0)]


def test_the_started_hub_asks_the_sequencer_s_go_gate_on_the_show_s_clock() -> None:
    """`start_services` with `control = "thread"` wires OSC to the one GO-interval rule: a
    double tap over OSC is refused "too soon" at once, the admitted GO fires when the show
    applies it, and a key's GO within the interval of it is ignored by the same rule."""
    from performance.runtime.services import start_services
    from performance.show.commands import Go
    from tests.integration.conftest import free_udp_port

    port = free_udp_port()
    settings = Settings(cues=str(DEFAULT_CUES), osc_port=port, osc_tcp_port=0, sound=False,
                        control="thread")
    clock = ManualClock(100.0)
    show = build_show(settings, visual=None, visuals=[])
    services = start_services(show, settings, clock=clock)
    try:
        hub, seq = services.hub, services.sequencer
        assert hub is not None and seq is not None and services.server is not None
        assert hub.go_gate is seq.go_gate and hub.clock is clock
        sender = ("udp", "127.0.0.1", 9)
        first = hub.handle_packet(build_message("/go"), sender)
        clock.advance(0.1)
        second = hub.handle_packet(build_message("/go"), sender)
        assert first == []  # admitted: answered once the show applied it
        assert [json.loads(parse_packet(r)[0].args[0])["data"] for r in second] == ["too soon"]
        [go] = hub.drain()
        assert isinstance(go, Go) and seq.handle(go, clock.now()).accepted
        assert not seq.handle(Go(), clock.now()).accepted  # a key, 0.1 s after the OSC GO
        assert seq.status().cue_id == seq.cues.cues[0].id
    finally:
        services.close()


def test_gos_the_osc_process_admitted_are_not_refused_again_by_the_sequencer() -> None:
    """With `control = "process"` (the default) the child checks the GO interval on its own
    clock and answers "too soon" at once; GOs it admitted far enough apart but drained in
    one frame are vouched for on the sequencer's gate, so both fire; a key's GO right after
    them is refused by the same rule, and an OSC GO right after a key's GO too."""
    from performance.control.process import OscProcess
    from performance.runtime.services import start_services
    from performance.show.commands import Go
    from tests.integration.conftest import free_udp_port, wait_for

    port = free_udp_port()
    settings = Settings(cues=str(DEFAULT_CUES), osc_port=port, osc_tcp_port=0, sound=False,
                        osc_reply_port=0)
    clock = ManualClock(100.0)  # the show's time stands still: one frame for everything
    show = build_show(settings, visual=None, visuals=[])
    services = start_services(show, settings, clock=clock)
    try:
        process, seq = services.hub, services.sequencer
        assert isinstance(process, OscProcess) and seq is not None
        assert services.commands is process and services.server is process
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ctl:
            ctl.bind(("127.0.0.1", 0))
            ctl.settimeout(3.0)

            def go() -> None:
                ctl.sendto(build_message("/go"), ("127.0.0.1", port))

            def answer() -> str:
                (message,) = parse_packet(ctl.recv(2048))
                return str(json.loads(str(message.args[0])).get("data", "ok"))

            go()
            go()
            assert answer() == "too soon"  # a double tap, refused by the child at once
            time.sleep(settings.min_go_interval + 0.05)
            go()  # admitted by the child: far enough from the first
            time.sleep(0.2)  # both admitted GOs are across the pipe before the one drain
            gos = process.drain()
            assert len(gos) == 2 and all(isinstance(g, Go) and g.press is not None
                                         for g in gos)
            assert [seq.apply(g, clock.now()).accepted for g in gos] == [True, True]
            services.publish(show.tick(clock.now(), ROOM), ROOM)  # settles: the answers
            assert [answer(), answer()] == ["ok", "ok"]  # sent after the show applied them
        assert seq.status().cue_id == seq.cues.cues[1].id  # two cues fired in one frame
        assert not seq.handle(Go(), clock.now()).accepted  # a key, in the same instant
        clock.advance(1.0)
        time.sleep(settings.min_go_interval + 0.05)  # the child's last GO is long past too
        assert seq.handle(Go(), clock.now()).accepted  # a key's GO, told to the child...
        services.publish(show.tick(clock.now(), ROOM), ROOM)
        time.sleep(0.1)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ctl:
            ctl.bind(("127.0.0.1", 0))
            ctl.settimeout(3.0)
            ctl.sendto(build_message("/go"), ("127.0.0.1", port))
            (message,) = parse_packet(ctl.recv(2048))
            assert json.loads(str(message.args[0]))["data"] == "too soon"  # ...so OSC waits
        assert wait_for(lambda: process.counts()["too_soon"] == 2)  # counters cross later
    finally:
        services.close()
    assert not process.running
