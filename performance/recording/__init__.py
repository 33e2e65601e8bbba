"""Recording a rehearsal (the tracking stream, commands, cues, OSC, show states; never
images) and replaying it deterministically: `format`, `recorder`, `tap`, `replay`."""
