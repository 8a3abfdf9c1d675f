# coursecast: thin targets over the CLI. `make help` lists them.
# COURSE selects the course file or its folder (default: the real course, course.toml).
COURSE ?= course.toml
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
VENV ?= .venv
CC := $(VENV)/bin/coursecast --course $(COURSE) -j $(JOBS)
DEMO := demo/course.toml
PORT ?= 8000
# Targets need the set-up machine: the stamp setup.sh writes, redone only when what it installs from changed
# (so `make status` starts at once); `make setup` always runs the script (it checks tools and models too).
STAMP := $(VENV)/.coursecast-setup
SETUP_INPUTS := pyproject.toml scripts/setup.sh $(wildcard tests/js/package-lock.json)

.PHONY: help setup demo episodes transcripts translations video feeds print site serve all check status test bench clean

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

setup:  ## Install system packages (apt, as root), the virtual env, torch 2.13.0 CPU, Whisper, npm test tools, speaker models
	@scripts/setup.sh

$(STAMP): $(SETUP_INPUTS)
	@scripts/setup.sh

demo: $(STAMP)  ## Generate the demo course's recordings and build it end to end
	$(VENV)/bin/coursecast --course $(DEMO) -j $(JOBS) demo

episodes: $(STAMP)  ## Cut, normalise, encode and tag episodes of COURSE
	$(CC) episodes

transcripts: $(STAMP)  ## Transcribe COURSE's episodes (JSON, VTT, SRT, text)
	$(CC) transcribe

translations: $(STAMP)  ## Translations of COURSE's captions and transcripts (drafts, translators' files)
	$(CC) translate

video: $(STAMP)  ## Captioned video for COURSE's video episodes
	$(CC) video

feeds: $(STAMP)  ## Podcast feeds for COURSE
	$(CC) feeds

print: $(STAMP)  ## PDFs for COURSE
	$(CC) print

site: $(STAMP)  ## The course website of COURSE (site/: a page per episode, player, captions, transcript)
	$(CC) site

serve: $(STAMP)  ## Preview COURSE's website on http://127.0.0.1:8000 (PORT=...)
	$(CC) serve --port $(PORT)

all: $(STAMP)  ## Build every stage of COURSE (only what changed)
	$(CC) build

check: $(STAMP)  ## Validate COURSE's course file, recordings and outputs
	$(CC) check

status: $(STAMP)  ## What is stale in COURSE, and why
	$(CC) status

test: $(STAMP)  ## Run the whole test suite
	$(VENV)/bin/python -m pytest -q

bench: $(STAMP)  ## Benchmark the pipeline against the standalone tools
	$(VENV)/bin/python -m benchmarks

clean:  ## Delete what the build of COURSE made, and only that (never raw_interviews/, edits/, your files)
	@if [ -x $(VENV)/bin/coursecast ]; then $(VENV)/bin/coursecast --course $(COURSE) clean --yes; \
	else echo "nothing to clean: not set up"; fi
