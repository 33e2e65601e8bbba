"""Order statistics, one definition for the whole rig: the run's statistics (at exit, on `i`,
over OSC, `runtime/framestats.py`), the rehearsal report's tables (`report/timeline.py`), the
sound device's callback figures and the benchmarks' p95/p99 (`bench/report.py`) take their
percentiles here. (Medians elsewhere, `statistics.median`, average the middle two.)"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[float], q: float) -> float:
    """The `q`th percentile (0-100) of values already sorted ascending, by nearest rank: the
    smallest value with at least `q` % of the values at or below it (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(0, math.ceil(q / 100.0 * len(ordered)) - 1)
    return float(ordered[min(rank, len(ordered) - 1)])
