"""Install the npm packages the Companion test runs the real QLab module with.

Bitfocus Companion's QLab module (../shared/peers/companion-module-figure53-qlab-advance) is
run from where it is, unchanged; it needs `@companion-module/base` and `osc`. This installs
exactly those two, at pinned versions, with npm into DEST (default .cache/companion), once:
a second run with them in place does nothing. tests/integration/test_companion.py fails
with a message naming `make testdata` when they are missing.

Usage: python tools/fetch_companion.py [DEST]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = {"@companion-module/base": "1.12.1", "osc": "2.4.5"}  # the module asks ^1.8, ^2.4.3


def installed(dest: Path) -> bool:
    """Whether every package is in DEST at its pinned version."""
    for name, version in PACKAGES.items():
        manifest = dest / "node_modules" / name / "package.json"
        try:
            if json.loads(manifest.read_text(encoding="utf-8")).get("version") != version:
                return False
        except (OSError, ValueError):
            return False
    return True


def fetch(dest: Path) -> Path:
    """Install the packages into `dest` (npm, from the registry) unless they are there."""
    if installed(dest):
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install node >= 18 and npm (apt-get install nodejs npm)")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "package.json").write_text(
        json.dumps({"name": "essence-companion-test", "private": True,
                    "dependencies": PACKAGES}, indent=2) + "\n", encoding="utf-8")
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--omit=optional",
                           "--prefix", str(dest)], check=False)
    if done.returncode != 0:
        raise SystemExit(f"npm install into {dest} failed (exit {done.returncode}); the npm "
                         f"registry must be reachable once")
    if not installed(dest):
        raise SystemExit(f"npm install into {dest} did not leave {PACKAGES}")
    return dest


def main(argv: list[str]) -> int:
    dest = Path(argv[1] if len(argv) > 1 else ".cache/companion")
    print(f"companion test packages in {fetch(dest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
