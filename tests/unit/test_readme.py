"""The README's examples are real: its cue-list example loads, its OSC table is complete."""

from __future__ import annotations

import re
from pathlib import Path

from performance.control.address_table import ADDRESS_TABLE
from performance.runtime.assemble import shader_catalog
from performance.show.cuefile.load import parse_cue_text

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_cue_list_example_loads_against_the_real_shaders() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[\[act\]\].*?)```", text, re.S)
    assert block is not None
    cuelist = parse_cue_text(block.group(1), README, shader_catalog())
    (cue,) = cuelist.cues
    assert cue.id == "7" and cue.visual == "crowd_chaos" and cue.when is not None


def test_every_osc_address_is_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    rows = {m.group(1) for m in re.finditer(r"^\| `(/[^`]*)` \|", text, re.M)}
    assert {entry.route for entry in ADDRESS_TABLE} <= rows


def test_the_phases_the_readme_lists_are_the_sequencer_s() -> None:
    from performance.show.status import SequencerPhase

    for doc in (README, README.parent / "docs" / "osc.md"):
        row = re.search(r"^\| `/essence/status/state` \|(.*)$", doc.read_text(encoding="utf-8"),
                        re.M)
        assert row is not None, doc
        listed = re.findall(r"`([a-z_]+)`", row.group(1).split(":", 1)[1])
        assert listed == [phase.value for phase in SequencerPhase], doc


def test_every_feedback_address_is_in_the_readme_and_osc_docs() -> None:
    """What subscribers are sent is listed where they look it up (the README lacked three)."""
    from performance.control.feedback import STATUS_ADDRESSES

    for doc in (README, README.parent / "docs" / "osc.md"):
        rows = {m.group(1) for m in re.finditer(r"^\| `(/[^`]*)` \|",
                                                 doc.read_text(encoding="utf-8"), re.M)}
        missing = [a for a in STATUS_ADDRESSES if a not in rows and a + "/{name}" not in rows]
        assert not missing, (doc, missing)
