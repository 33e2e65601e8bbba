"""Dropped OSC: every drop counted, one log line per kind per interval, with its span."""

from __future__ import annotations

import logging

import pytest

from performance.control.counters import DropCounter


def test_a_burst_is_one_line_then_its_count_and_span_with_the_next_drop(
        caplog: pytest.LogCaptureFixture) -> None:
    drops = DropCounter(interval=5.0)
    caplog.set_level(logging.WARNING, logger="performance.control")
    for i in range(1843):  # a flood in its first second
        drops.drop("unknown_address", f"/flood/{i} from 10.0.0.9", i / 2000.0)
    drops.drop("too_soon", "/go from 10.0.0.2", 1.0)  # another kind: at once
    drops.drop("unknown_address", "/settings/general/minGoTime from 10.0.0.3", 312.5)
    assert [r.getMessage() for r in caplog.records] == [
        "OSC dropped 1 x unknown_address (latest: /flood/0 from 10.0.0.9)",
        "OSC dropped 1 x too_soon (latest: /go from 10.0.0.2)",
        # the 1842 held back plus this one, told as what they are: over 312 s, not now
        "OSC dropped 1843 x unknown_address in 312 s (latest: /settings/general/minGoTime"
        " from 10.0.0.3)"]
    assert drops.counts() == {"unknown_address": 1844, "too_soon": 1}
    assert drops.total() == 1845
