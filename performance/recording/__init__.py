"""Recording a rehearsal (the tracking stream, commands, cues, OSC, show states; never
images) and replaying it deterministically: `records`, `format`, `recorder`, `tap`,
`replay`."""
