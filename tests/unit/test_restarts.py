"""The one rule for replacing a child process in trouble: report once per kind, back off."""

from __future__ import annotations

import logging

import pytest

from performance.core.restarts import RestartSchedule, Trouble


def test_back_off_doubles_to_its_cap_and_resets_once_a_child_runs(caplog) -> None:
    schedule = RestartSchedule("perception", 1.0, 3.0)
    with caplog.at_level(logging.WARNING):
        assert schedule.trouble(Trouble.CRASHED, "exit code -11", 10.0) == \
            "perception crashed (exit code -11); restarting"
        assert schedule.pending and not schedule.due(10.9)
        assert schedule.due(11.0) and not schedule.due(11.0)  # once
        schedule.trouble(Trouble.CRASHED, "exit code -11", 11.5)
        assert not schedule.due(13.4) and schedule.due(13.5)  # 2 s now
        schedule.trouble(Trouble.HUNG, "no answer", 14.0)
        assert not schedule.due(16.9) and schedule.due(17.0)  # 3 s: the cap
        schedule.running()
        assert schedule.message is None
        schedule.trouble(Trouble.CRASHED, "exit code 1", 20.0)
        assert schedule.due(21.0)  # back to 1 s after a child ran
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["perception crashed (exit code -11); restarting; the show goes on, "
                      "further ones are counted",
                      "perception hung (no answer); restarting; the show goes on, further "
                      "ones are counted"]  # each kind once
    assert any("running again (restart 3)" in r.getMessage() for r in caplog.records)
    assert schedule.restarts == 4
    assert schedule.counts == {"crashed": 3, "hung": 1}


def test_cancel_drops_a_scheduled_restart() -> None:
    schedule = RestartSchedule("OSC control process", 0.5, 10.0)
    schedule.trouble(Trouble.FAILED, "port 53000 in use", 0.0)
    schedule.cancel()
    assert not schedule.pending and not schedule.due(100.0)
    assert schedule.restarts == 0


@pytest.mark.parametrize("kind", list(Trouble))
def test_every_kind_reads_as_its_word(kind: Trouble) -> None:
    schedule = RestartSchedule("x", 1.0, 1.0)
    assert schedule.trouble(kind, "d", 0.0) == f"x {kind.value} (d); restarting"


def test_life_trouble_names_a_dead_child_and_one_that_never_got_ready() -> None:
    from performance.core.restarts import life_trouble

    assert life_trouble(False, -9, True, 0.0, 5.0, "x") == (Trouble.CRASHED, "exit code -9")
    assert life_trouble(True, None, False, 5.1, 5.0, "the model did not load") == \
        (Trouble.HUNG, "the model did not load")
    assert life_trouble(True, None, False, 4.9, 5.0, "x") is None  # still starting
    assert life_trouble(True, None, True, 99.0, 5.0, "x") is None  # ready: fine
