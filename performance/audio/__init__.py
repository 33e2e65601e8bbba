"""Generative sound that follows the room: parameter snapshots, block synthesis, the device.

`params` builds an `AudioParams` snapshot from the show and the crowd; `synth` turns
snapshots into blocks of samples with numpy alone (no device, testable offline); `device` is
the only module that imports `sounddevice` and plays a synth live; `engine` glues them to the
frame loop and to the offline renderer.
"""
