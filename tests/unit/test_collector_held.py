"""The collector held off while cue lists are built: overlapping builds (a newer edit while
one is still being built) keep it off until the last ends, then freeze and turn it back on."""

from __future__ import annotations

import gc

from performance.runtime.showfile import _collector_held


def test_overlapping_builds_hold_the_collector_until_the_last_ends() -> None:
    assert gc.isenabled()
    first, second = _collector_held(), _collector_held()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)  # the older build ends first
    assert not gc.isenabled()  # the newer one is still being built
    frozen = gc.get_freeze_count()
    second.__exit__(None, None, None)
    assert gc.isenabled() and gc.get_freeze_count() >= frozen


def test_a_collector_that_was_off_stays_off_and_nothing_is_frozen() -> None:
    gc.disable()
    try:
        with _collector_held():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
