"""The rig's one percentile (core/stats.py): nearest rank, as the run's statistics, the
rehearsal report and the benchmarks take it."""

from __future__ import annotations

from performance.core.stats import percentile


def test_nearest_rank_is_the_smallest_value_with_q_percent_at_or_below_it() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0 and percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0 and percentile(values, 100) == 100.0
    assert percentile(values, 0) == 1.0
    ten = [float(v) for v in range(10)]
    assert percentile(ten, 95) == 9.0  # 95 % of ten values: the tenth
    assert percentile(ten, 50) == 4.0  # half of them at or below the fifth
    assert percentile([3.0], 99) == 3.0 and percentile([], 50) == 0.0
