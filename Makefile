# The project's own set-up: only Python 3.11+ and make are assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test browser bench-client clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## the main job, against the embedded mock
	$(BIN)/python bench.py run

test: $(STAMP) browser  ## lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# The report test opens the HTML report in headless Chromium (Debian's package).
# Installed when missing and we may (root with apt-get); otherwise that test skips.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium fonts-dejavu-core >/dev/null; } \
	    || echo "could not install chromium: the headless report test will skip"; \
	  else echo "chromium missing: the headless report test will skip"; fi; }

bench-client: $(STAMP)
	$(BIN)/python -m benchmarks.client_speed

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
