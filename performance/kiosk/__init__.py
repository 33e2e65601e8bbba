"""The gallery kiosk: an unattended show that starts by itself, tells systemd it is alive,
resumes at the cue it was in, holds a safe picture after repeated crashes, keeps opening
hours and shows an attract visual to an empty room, and writes a health report."""
