"""Show files: the cue model (`model`), loading and validation (`load`, `fields`, `lines`)."""
