"""Setting up in a venue: the calibration files a venue keeps (projector mapping, camera)."""
