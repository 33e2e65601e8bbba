"""Show: what is on stage now. The cue model, the sequencer and the autopilot live here.

Everything in show/ is pure and single-threaded: `apply(command)` and `tick(now, emotion)`
return a `ShowFrame`; the app renders and sounds that state.
"""
