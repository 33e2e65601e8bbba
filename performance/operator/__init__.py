"""What the operator sees and presses: the overlay and camera preview, the keymap."""
