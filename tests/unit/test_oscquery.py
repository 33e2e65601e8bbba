"""OSCQuery's namespace and answers (console/oscquery.py) for a status whose visual declares
float, int, bool, point2D and colour inputs, read from a real shader header."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from performance.console.oscquery import ATTRIBUTES, HostInfo, find, namespace, respond
from performance.control.address_table import ADDRESS_TABLE
from performance.control.addresses import resolve
from performance.control.feedback import STATUS_ADDRESSES, RigStatus
from performance.control.outline import input_rows
from performance.core.inputs import InputType, components
from performance.render.source import parse_header
from performance.runtime.assemble import shader_catalog

HEADER = """\
#version 330
/* {
  "DESCRIPTION": "a test visual with one input of each kind",
  "INPUTS": [
    {"NAME": "glow", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.0, "MAX": 2.0, "LABEL": "Glow"},
    {"NAME": "rings", "TYPE": "int", "DEFAULT": 3, "MIN": 1, "MAX": 12, "LABEL": "Rings"},
    {"NAME": "strobe", "TYPE": "bool", "DEFAULT": false, "LABEL": "Strobe"},
    {"NAME": "centre", "TYPE": "point2D", "DEFAULT": [0.5, 0.4], "MIN": [0.0, -1.0],
     "MAX": [1.0, 1.0], "LABEL": "Centre"},
    {"NAME": "tint", "TYPE": "color", "DEFAULT": [1.0, 0.5, 0.25, 1.0], "LABEL": "Tint"},
    {"NAME": "drift", "TYPE": "float", "DEFAULT": 0.0}
  ]
} */
void main() {}
"""
SPECS, _, _ = parse_header(HEADER, Path("test_visual.frag"))
ROWS = input_rows(SPECS)
LIVE = {"glow": 1.25, "rings": 7.0, "strobe": 1.0, "centre": (0.25, -0.5),
        "tint": (0.1, 0.2, 0.3, 0.4), "drift": 123.5}
STATUS = RigStatus(title="Test show", cue_id="2", next_cue_id="3", countdown=None,
                   chaos=0.42, faces=3, blackout=True, chaos_mode=False, show_mode=True,
                   inputs=tuple(LIVE.items()), input_rows=ROWS,
                   cues=(("1", "Gates"), ("2", "Core"), ("3.5", "Finale")))
INFO = HostInfo(name="Essence rig", osc_host="127.0.0.1", osc_udp_port=9000, osc_tcp_port=9001)
ACCESSES = {0, 1, 2, 3}


def nodes(node: dict[str, object]) -> list[dict[str, object]]:
    """Every node of a tree, depth first."""
    out = [node]
    contents = node.get("CONTENTS", {})
    assert isinstance(contents, dict)
    for child in contents.values():
        out += nodes(child)
    return out


def test_the_tree_is_valid_oscquery_json() -> None:
    tree = namespace(STATUS)
    text = json.dumps(tree, allow_nan=False)  # no NaN or infinity anywhere
    assert json.loads(text) == tree
    assert tree["FULL_PATH"] == "/" and tree["DESCRIPTION"] == "Test show"
    for node in nodes(tree):
        path = node["FULL_PATH"]
        assert isinstance(path, str) and path.startswith("/")
        assert set(node) <= ATTRIBUTES, path
        assert node["ACCESS"] in ACCESSES, path
        for name, child in dict(node.get("CONTENTS", {})).items():  # type: ignore[call-overload]
            assert child["FULL_PATH"] == (path.rstrip("/") + "/" + name)
        if "CONTENTS" in node:
            assert "TYPE" not in node and node["ACCESS"] == 0, path
            continue
        tags = node["TYPE"]
        assert isinstance(tags, str) and tags and set(tags) <= set("ifsTN"), path
        width = 0 if tags == "N" else len(tags)
        for key in ("VALUE", "RANGE", "EXTENDED_TYPE"):
            if key in node:
                assert isinstance(node[key], list) and len(node[key]) == width, (path, key)
        if "VALUE" in node:
            assert int(node["ACCESS"]) & 1, path  # only readable nodes carry a value


def test_each_declared_input_has_its_type_range_label_and_live_value() -> None:
    tree = namespace(STATUS)
    for spec in SPECS:
        node = find(tree, f"/essence/param/{spec.name}")
        assert node is not None, spec.name
        whole = spec.type.whole or spec.type is InputType.BOOL
        assert node["TYPE"] == ("i" if whole else "f") * spec.width
        assert node["ACCESS"] == 3
        assert node["DESCRIPTION"] == (spec.label or spec.name)
        live = components(LIVE[spec.name], spec.width)
        assert live is not None
        assert node["VALUE"] == ([round(v) for v in live] if whole else live)
        lows, highs = components(spec.minimum, spec.width), components(spec.maximum, spec.width)
        if lows is None and highs is None:
            assert "RANGE" not in node
            continue
        assert lows is not None and highs is not None
        assert node["RANGE"] == [{"MIN": lo, "MAX": hi} for lo, hi in zip(lows, highs,
                                                                           strict=True)]
    assert find(tree, "/essence/param/rings")["RANGE"] == [{"MIN": 1, "MAX": 12}]  # type: ignore[index]
    assert find(tree, "/essence/param/strobe")["RANGE"] == [{"MIN": 0, "MAX": 1}]  # type: ignore[index]
    tint = find(tree, "/essence/param/tint")
    assert tint is not None and tint["RANGE"] == [{"MIN": 0.0, "MAX": 1.0}] * 4
    assert tint["EXTENDED_TYPE"] == ["color.rgb.r", "color.rgb.g", "color.rgb.b", "color.rgb.a"]
    centre = find(tree, "/essence/param/centre")
    assert centre is not None and centre["RANGE"] == [{"MIN": 0.0, "MAX": 1.0},
                                                      {"MIN": -1.0, "MAX": 1.0}]


def test_a_real_visuals_inputs_come_from_its_shader_header() -> None:
    specs = shader_catalog()["enclave"]
    tree = namespace(RigStatus(input_rows=input_rows(specs)))
    param = find(tree, "/essence/param")
    assert param is not None
    assert sorted(param["CONTENTS"]) == sorted(s.name for s in specs)  # type: ignore[arg-type]
    for spec in specs:  # no live values: the header's defaults
        node = find(tree, f"/essence/param/{spec.name}")
        assert node is not None
        assert node["VALUE"] == [spec.default] and node["DESCRIPTION"] == spec.label
        assert node["RANGE"] == [{"MIN": spec.minimum, "MAX": spec.maximum}]


def test_every_advertised_type_is_one_the_address_table_accepts() -> None:
    """A value of the advertised TYPE, sent to the node's FULL_PATH, resolves (no refusal)."""
    tree = namespace(STATUS)
    ranges = {s.name: (-1e6, 1e6, s.width) for s in SPECS}  # as the show declares them
    samples = {"N": None, "T": True, "F": False, "i": 1, "f": 0.5, "s": "2"}
    checked = 0
    for node in nodes(tree):
        if "CONTENTS" in node or not int(node["ACCESS"]) & 2:  # type: ignore[call-overload]
            continue
        tags = str(node["TYPE"])
        args = tuple(samples[t] for t in tags)
        resolve(str(node["FULL_PATH"]), args, tags, ranges)  # raises AddressError if refused
        checked += 1
    assert checked >= 20


def test_descriptions_are_the_address_tables_and_commands_are_write_only() -> None:
    tree = namespace(STATUS)
    does = {info.route: info.does for info in ADDRESS_TABLE}
    for route in ("/go", "/stop", "/panic", "/pause", "/resume", "/essence/go",
                  "/essence/back", "/essence/chaos", "/essence/blackout", "/essence/goto"):
        node = find(tree, route)
        assert node is not None and node["DESCRIPTION"] == does[route], route
    for route in ("/go", "/panic", "/essence/go", "/essence/back"):
        assert find(tree, route) == {**find(tree, route), "ACCESS": 2, "TYPE": "N"}  # type: ignore[dict-item]
    blackout = find(tree, "/essence/blackout")
    assert blackout is not None and blackout["VALUE"] == [True] and blackout["TYPE"] == "T"
    assert find(tree, "/essence/chaos")["VALUE"] == [False]  # type: ignore[index]
    assert find(tree, "/essence/goto")["RANGE"] == [{"VALS": ["1", "2", "3.5"]}]  # type: ignore[index]
    finale = find(tree, "/cue/3.5/start")
    assert finale is not None and finale["DESCRIPTION"].startswith("Finale: fire cue 3.5")  # type: ignore[union-attr]


def test_status_values_are_read_only_and_live() -> None:
    tree = namespace(STATUS)
    status = find(tree, "/essence/status")
    assert status is not None
    assert {str(n["FULL_PATH"]) for n in nodes(status)[1:]} == set(STATUS_ADDRESSES)
    for node in nodes(status)[1:]:
        assert node["ACCESS"] == 1
    assert find(tree, "/essence/status/cue")["VALUE"] == ["2"]  # type: ignore[index]
    assert find(tree, "/essence/status/chaos")["VALUE"] == [0.42]  # type: ignore[index]
    assert find(tree, "/essence/status/faces") == {
        "FULL_PATH": "/essence/status/faces", "ACCESS": 1, "TYPE": "i",
        "DESCRIPTION": "faces in view", "VALUE": [3]}
    assert find(tree, "/essence/status/show_mode")["VALUE"] == [1]  # type: ignore[index]
    assert "VALUE" not in find(tree, "/essence/status/countdown")  # type: ignore[operator]


def test_answers_nodes_attributes_and_errors() -> None:
    assert respond("/", "", STATUS, INFO) == (200, namespace(STATUS))
    code, body = respond("/essence/param/", "", STATUS, INFO)
    assert code == 200 and body == find(namespace(STATUS), "/essence/param")
    assert respond("/essence/param/glow", "VALUE", STATUS, INFO) == (200, {"VALUE": [1.25]})
    assert respond("/essence/param/centre", "TYPE", STATUS, INFO) == (200, {"TYPE": "ff"})
    assert respond("/essence/param/rings", "RANGE", STATUS, INFO) == (
        200, {"RANGE": [{"MIN": 1, "MAX": 12}]})
    assert respond("/essence", "TYPE", STATUS, INFO) == (200, {})  # a container has none
    assert respond("/essence/go", "VALUE", STATUS, INFO) == (204, None)  # write-only
    assert respond("/essence/param/nope", "", STATUS, INFO) == (404, None)
    assert respond("/bazzz", "TYPE", STATUS, INFO) == (404, None)
    assert respond("/essence/param/glow", "GABBAGABBAHEY", STATUS, INFO) == (400, None)
    assert respond("/essence/param/glow", "VALUE&TYPE", STATUS, INFO) == (400, None)


def test_before_the_first_status_the_commands_are_there_without_values() -> None:
    tree = namespace(None)
    assert find(tree, "/go") is not None and find(tree, "/essence/param/glow") is None
    assert "VALUE" not in find(tree, "/essence/blackout")  # type: ignore[operator]
    assert respond("/essence/status/act", "VALUE", None, INFO) == (200, {})
    json.dumps(tree, allow_nan=False)


@pytest.mark.parametrize(("info", "expected"), [
    (INFO, {"OSC_IP": "127.0.0.1", "OSC_PORT": 9000, "OSC_TRANSPORT": "UDP",
            "OSC_TCP_PORT": 9001}),
    (HostInfo("rig", "0.0.0.0", None, 53000), {"OSC_PORT": 53000, "OSC_TRANSPORT": "TCP"}),
])
def test_host_info_names_the_osc_input(info: HostInfo, expected: dict[str, object]) -> None:
    code, body = respond("/anything/at/all", "HOST_INFO", STATUS, info)
    assert code == 200 and isinstance(body, dict)
    assert body["NAME"] == info.name
    assert {k: v for k, v in body.items() if k not in ("NAME", "EXTENSIONS")} == expected
    extensions = body["EXTENSIONS"]
    assert isinstance(extensions, dict)
    assert {k for k, v in extensions.items() if v} == {"ACCESS", "VALUE", "RANGE",
                                                       "DESCRIPTION", "EXTENDED_TYPE"}
    json.dumps(body, allow_nan=False)


def test_a_nan_live_value_is_null_not_invalid_json() -> None:
    status = RigStatus(input_rows=ROWS, inputs=(("glow", float("nan")),))
    assert respond("/essence/param/glow", "VALUE", status, INFO) == (200, {"VALUE": [None]})
    json.dumps(namespace(status), allow_nan=False)


def test_the_announced_records_name_the_console_and_the_osc_input() -> None:
    from performance.console.announce import OSC_UDP_TYPE, OSCJSON_TYPE, service_infos

    http, osc = service_infos("Essence rig", "127.0.0.1", 8089, "127.0.0.1", 53000)
    assert (http.type, http.name, http.port) == (OSCJSON_TYPE, f"Essence rig.{OSCJSON_TYPE}",
                                                 8089)
    assert http.parsed_addresses() == ["127.0.0.1"]
    assert (osc.type, osc.port, osc.parsed_addresses()) == (OSC_UDP_TYPE, 53000, ["127.0.0.1"])
    wide = service_infos("Essence rig", "0.0.0.0", 8089, "127.0.0.1", 53000)
    assert len(wide) == 1  # OSC on loopback only: not announced to the network
    assert wide[0].parsed_addresses() and "0.0.0.0" not in wide[0].parsed_addresses()
    (long,) = service_infos("x" * 80 + ".rig", "127.0.0.1", 1, "127.0.0.1", None)
    assert len(long.name.split("._oscjson")[0].encode()) <= 63
