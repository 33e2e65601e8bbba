"""`python -m performance` is the same as the `essence` command."""

from performance.cli import main

raise SystemExit(main())
