"""Recording a rehearsal's tracking stream and commands, and replaying it into the show."""
