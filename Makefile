# Essence rig. Quick start: `make demo` and `make test`; each sets itself up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTDATA := .cache/testdata
SHARED_MODEL := ../shared/models/face_landmarker.task

# Tests and the demo use the shared copy of the face model when there is one
# (a user's machine downloads it once into the cache instead).
ifeq ($(origin ESSENCE_FACE_MODEL),undefined)
ifneq ($(wildcard $(SHARED_MODEL)),)
export ESSENCE_FACE_MODEL := $(abspath $(SHARED_MODEL))
endif
endif
export GLOG_minloglevel := 2
export TF_CPP_MIN_LOG_LEVEL := 2

# System libraries: OpenGL/EGL on Mesa (rendering, OpenCV), Xvfb (window tests),
# liblo-tools (an independent OSC peer for tests), PortAudio (sound), systemd-analyze and
# desktop-file-validate (the kiosk's unit and autostart files are checked with the real tools),
# xset (`essence check --kiosk` reads screen blanking and DPMS with it), xdotool (real X key
# presses into the kiosk window in tests), gcc (builds the test's wall-clock shim,
# tests/data/walljump.c), chromium and chromium-driver (a real headless browser looks at the
# rehearsal report in tests, through Selenium; no browser download).
APT_PACKAGES := libgl1 libegl1 libgl1-mesa-dri libglib2.0-0 xvfb xauth liblo-tools libportaudio2 \
  systemd desktop-file-utils x11-xserver-utils xdotool gcc libc6-dev chromium chromium-driver

.PHONY: demo test lint unit bench sysdeps venv testdata check clean

# The whole story (cues/neo_lumen.toml, GO pressed after 0.5 s of waiting) rendered offline
# with its sound from the built-in scripted audience: no camera, no display, no GPU needed.
demo: sysdeps $(STAMP)
	$(BIN)/essence render --input scripted --cues cues/neo_lumen.toml --auto-go 0.5 \
	  --seconds 135 --size 384x216 --fps 15 --out out/demo.mp4
	@echo "demo video:    $(abspath out/demo.mp4)"
	@echo "contact sheet: $(abspath out/demo.contact.png)"

test: sysdeps $(STAMP) testdata lint
	ESSENCE_EXPRESSION_MODEL=$${ESSENCE_EXPRESSION_MODEL:-$(abspath $(TESTDATA))/emotion_model_quantized.tflite} \
	  $(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check performance tests tools bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

# Benchmarks (bench/, not part of `make test`): every script, each in its own interpreter,
# each figure a ratio against a bare loop measured in the same run; one table at the end
# and out/bench.jsonl (bench/run.py). `make bench BENCH="live stage"` runs some.
bench: sysdeps $(STAMP) testdata
	ALSA_CONFIG_PATH=$(abspath tests/data/alsa-null.conf) \
	ESSENCE_EXPRESSION_MODEL=$${ESSENCE_EXPRESSION_MODEL:-$(abspath $(TESTDATA))/emotion_model_quantized.tflite} \
	  $(BIN)/python bench/run.py $(BENCH)

check: $(STAMP)
	$(BIN)/essence check

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Test media and models; and the npm packages the Companion test runs the real QLab module
# with (@companion-module/base, osc: pinned, into .cache/companion; needs node and npm).
testdata: $(STAMP)
	$(BIN)/python tools/fetch_test_media.py $(TESTDATA)
	$(BIN)/python tools/fetch_companion.py .cache/companion

sysdeps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .cache out .pytest_cache .mypy_cache .ruff_cache
