"""App: wiring and run modes (analyze now; the window and main loop later)."""
