"""`make bench`: every benchmark in bench/, one after another, and one table of them all.

Runs each script in its own interpreter (so one's threads and processes never load
another's figures), echoes its output, collects its JSON lines and prints them together at
the end as a markdown table; the lines are also written to out/bench.jsonl. Not part of
`make test`: benchmarks measure, tests assert.

Usage: .venv/bin/python bench/run.py [NAME ...]   (e.g. `stage perception`; default: all)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("perception", "live", "stage", "emotion", "osc", "audio", "offline",
           "expression", "tiling", "warp", "camera", "console")


def main(argv: list[str]) -> int:
    names = argv or [n for n in SCRIPTS if (HERE / f"bench_{n}.py").exists()]
    rows: list[dict[str, object]] = []
    failed = []
    for name in names:
        script = HERE / f"bench_{name}.py"
        print(f"\n## bench_{name}\n", flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        print(done.stdout, end="")
        if done.returncode != 0:
            failed.append(name)
            print(done.stderr[-3000:], file=sys.stderr)
        print(f"({time.monotonic() - started:.0f} s)")
        rows += [json.loads(line) for line in done.stdout.splitlines()
                 if line.startswith("{") and '"figure"' in line]
    out = HERE.parent / "out" / "bench.jsonl"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print("\n## all figures\n")
    print("| figure | ratio | goal | renderer |\n|---|---:|---|---|")
    for r in rows:
        goal = f"≤ ×{r['goal']:g} ({r['verdict']})" if r.get("goal") else ""
        print(f"| {r['figure']} | ×{r['ratio']} | {goal} | {r.get('renderer') or ''} |")
    print(f"\n{len(rows)} figures -> {out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
