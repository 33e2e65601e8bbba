"""QLab 5 queries through the hub: replies in QLab's JSON format, answered from the status."""

from __future__ import annotations

import json

from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.options import HubOptions
from performance.control.wire import ArgValue, build_message, parse_message

CUES = (("0", "House dark"), ("1", "Gates"), ("2", "Seal"))
A = ("tcp", "10.0.0.5", 1)


def ask(hub: ControlHub, address: str, *args: ArgValue) -> dict[str, object]:
    (packet,) = hub.handle_packet(build_message(address, list(args)), A, now=1.0)
    message = parse_message(packet)
    assert message.address == "/reply" + address
    body: dict[str, object] = json.loads(str(message.args[0]))
    assert body["workspace_id"] == "essence" and body["address"] == address
    return body


def hub_at(cue: str | None, next_cue: str | None, state: str, passcode: str = "") -> ControlHub:
    hub = ControlHub(HubOptions(passcode=passcode))
    hub.publish(RigStatus(cue_id=cue, next_cue_id=next_cue, state=state, cues=CUES))
    return hub


def test_cue_list_is_main_with_every_cue_and_the_running_one_marked() -> None:
    body = ask(hub_at("1", "2", "transition"), "/cueLists")
    (listed,) = body["data"]  # type: ignore[misc]
    assert listed["uniqueID"] == "main" and listed["type"] == "Cue List"
    cues = listed["cues"]
    assert [(c["uniqueID"], c["number"], c["listName"]) for c in cues] == [
        ("0", "0", "House dark"), ("1", "1", "Gates"), ("2", "2", "Seal")]
    assert [c["isRunning"] for c in cues] == [False, True, False]


def test_cue_queries_by_number_id_playhead_and_active() -> None:
    hub = hub_at("1", "2", "ready")
    assert ask(hub, "/cue/2/name")["data"] == "Seal"
    assert ask(hub, "/workspace/essence/cue_id/1/valuesForKeys", '["isRunning"]')["data"][
        "isRunning"] is True  # type: ignore[index]
    assert ask(hub, "/cue/selected/uniqueID")["data"] == "2"
    assert ask(hub, "/cue/active/number")["data"] == "1"
    assert ask(hub, "/playheadID")["data"] == "2"
    assert [c["uniqueID"] for c in ask(hub, "/selectedCues")["data"]] == ["2"]  # type: ignore
    assert [c["uniqueID"] for c in ask(hub, "/runningOrPausedCues")["data"]] == ["1"]  # type: ignore
    assert ask(hub, "/cue/99/name") == {"workspace_id": "essence", "address": "/cue/99/name",
                                       "status": "error", "data": "no cue 99"}


def test_nothing_runs_after_a_panic_and_active_says_so() -> None:
    hub = hub_at("1", "2", "panic")
    assert ask(hub, "/runningOrPausedCues")["data"] == []
    assert ask(hub, "/cue/active/valuesForKeys")["data"] == "no cue running"


def test_no_op_addresses_answer_an_error_naming_why() -> None:
    hub = hub_at(None, "0", "standby")
    for address in ("/reset", "/alwaysAudition", "/overrideWindow", "/overrides/mainOutput"):
        body = ask(hub, address)
        assert body["status"] == "error" and str(body["data"]).startswith("not supported: ")
    assert ask(hub, "/cue/1/name", "new name")["status"] == "error"  # read-only
    assert hub.queue.drain() == []


def test_settings_queries() -> None:
    hub = hub_at(None, "0", "standby")
    assert ask(hub, "/version")["data"] == "5.0.0"
    assert ask(hub, "/showMode")["data"] is False
    assert ask(hub, "/updates")["data"] == 0
    ask(hub, "/updates", 1)
    assert ask(hub, "/updates")["data"] == 1
    assert ask(hub, "/udpReplyPort")["data"] == 53001
    assert ask(hub, "/alwaysReply")["data"] == 1


def test_a_connect_probe_without_passcode_is_answered_as_qlab_does() -> None:
    hub = hub_at(None, "0", "standby", passcode="2468")
    assert ask(hub, "/connect") | {} == {"workspace_id": "essence", "address": "/connect",
                                         "status": "ok", "data": "badpass"}
    assert ask(hub, "/version")["status"] == "ok"  # the application's, no passcode needed
    assert ask(hub, "/cueLists")["status"] == "denied"
    assert ask(hub, "/connect", "2468")["status"] == "ok"
    assert ask(hub, "/cueLists")["status"] == "ok"


def test_values_for_keys_answers_the_keys_asked_for() -> None:
    hub = hub_at("1", "2", "ready")
    asked = ask(hub, "/cue_id/1/valuesForKeys", '["number","listName","isRunning","nope"]')
    assert asked["data"] == {"number": "1", "listName": "Gates", "isRunning": True}
    everything = ask(hub, "/cue_id/1/valuesForKeys")["data"]
    assert isinstance(everything, dict) and {"uniqueID", "preWait", "type"} <= set(everything)
    listed = ask(hub, "/cue_id/main/valuesForKeys", '["type"]')["data"]
    assert listed == {"type": "Cue List"}
    bad = ask(hub, "/cue_id/1/valuesForKeys", "number")
    assert bad["status"] == "error" and "JSON list of keys" in str(bad["data"])


def test_a_qlab_client_is_fed_only_qlab_pushes_until_it_speaks_essence() -> None:
    hub = hub_at(None, "0", "standby")
    hub.handle_packet(build_message("/updates", [1]), A, now=1.0)
    ask(hub, "/cueLists")  # a workspace query: this sender speaks QLab
    hub.publish(RigStatus(cue_id="0", next_cue_id="1", state="ready", cues=CUES, faces=3))
    hub.feedback_due("tcp", now=2.0)
    hub.publish(RigStatus(cue_id="1", next_cue_id="2", state="ready", cues=CUES, faces=4))
    pushed = [parse_message(p).address for _, p in hub.feedback_due("tcp", now=3.0)]
    assert pushed and all(a.startswith("/update/") for a in pushed), pushed
    assert "/update/workspace/essence/cueList/main/playbackPosition" in pushed
    hub.handle_packet(build_message("/essence/state", []), A, now=3.5)  # now it wants it all
    hub.publish(RigStatus(cue_id="2", next_cue_id=None, state="ready", cues=CUES, faces=5))
    pushed = [parse_message(p).address for _, p in hub.feedback_due("tcp", now=4.0)]
    assert "/essence/status/faces" in pushed and "/essence/status/cue" in pushed
