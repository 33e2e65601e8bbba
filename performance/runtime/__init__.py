"""The runtime: the main loop, feeds, stage and outputs, show services, and `assemble`, the one
place a show is built for live and offline runs."""
