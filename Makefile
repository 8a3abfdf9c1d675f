# coursecast: thin targets over the CLI. `make help` lists them.
# COURSE selects the course file (default: the real course, course.toml).
COURSE ?= course.toml
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
VENV ?= .venv
CC := $(VENV)/bin/coursecast --course $(COURSE) -j $(JOBS)
DEMO := demo/course.toml
PORT ?= 8000

.PHONY: help setup demo episodes transcripts translations video feeds print site serve all check status test bench clean

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

setup:  ## Install system packages (apt, as root), the virtual env, torch 2.13.0 CPU, Whisper, npm test tools, speaker models
	@scripts/setup.sh

demo: setup  ## Generate the demo course's recordings and build it end to end
	$(VENV)/bin/coursecast --course $(DEMO) -j $(JOBS) demo

episodes: setup  ## Cut, normalise, encode and tag episodes of COURSE
	$(CC) episodes

transcripts: setup  ## Transcribe COURSE's episodes (JSON, VTT, SRT, text)
	$(CC) transcribe

translations: setup  ## Translations of COURSE's captions and transcripts (drafts, translators' files)
	$(CC) translate

video: setup  ## Captioned video for COURSE's video episodes
	$(CC) video

feeds: setup  ## Podcast feeds for COURSE
	$(CC) feeds

print: setup  ## PDFs for COURSE
	$(CC) print

site: setup  ## The course website of COURSE (site/: a page per episode, player, captions, transcript)
	$(CC) site

serve: setup  ## Preview COURSE's website on http://127.0.0.1:8000 (PORT=...)
	$(CC) serve --port $(PORT)

all: setup  ## Build every stage of COURSE (only what changed)
	$(CC) build

check: setup  ## Validate COURSE's course file, recordings and outputs
	$(CC) check

status: setup  ## What is stale in COURSE, and why
	$(CC) status

test: setup  ## Run the whole test suite
	$(VENV)/bin/python -m pytest -q

bench: setup  ## Benchmark the pipeline against the standalone tools
	$(VENV)/bin/python -m benchmarks

clean:  ## Delete what the build of COURSE made, and only that (never raw_interviews/, edits/, your files)
	@if [ -x $(VENV)/bin/coursecast ]; then $(VENV)/bin/coursecast --course $(COURSE) clean --yes; \
	else echo "nothing to clean: not set up"; fi
