"""The rehearsal report: a self-contained HTML page of what the room and the show did."""
