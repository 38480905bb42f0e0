# The project's own set-up: only Python 3.11+ and make are assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-newest-python other-python-tests browser bench-client clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## the main job, against the embedded mock
	$(BIN)/python bench.py run

test: $(STAMP) browser  ## lint, type-check, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The same mock and client tests under the newest other CPython >= 3.12 found here
# (python3.N on PATH, pyenv's versions), in its own venv .venv-pyXY; a no-op when none.
test-newest-python:
	@found="$$($(PYTHON) .ci/other_python.py)"; \
	if [ -z "$$found" ]; then \
	  echo "test-newest-python: no other CPython >= 3.12 on this machine, nothing to run"; \
	else \
	  set -- $$found; \
	  echo "test-newest-python: Python $$3 ($$1)"; \
	  $(MAKE) --no-print-directory other-python-tests \
	    OTHER_PYTHON="$$1" OTHER_VENV=".venv-py$$2" OTHER_VERSION="$$3"; \
	fi

ifdef OTHER_VENV
# the stamp names the exact version, so a patch upgrade of that Python rebuilds the venv
$(OTHER_VENV)/.installed-$(OTHER_VERSION): pyproject.toml
	$(OTHER_PYTHON) -m venv --clear $(OTHER_VENV)
	echo '*' > $(OTHER_VENV)/.gitignore
	$(OTHER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(OTHER_VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

other-python-tests: $(OTHER_VENV)/.installed-$(OTHER_VERSION)
	$(OTHER_VENV)/bin/python -m pytest tests/mock_service tests/client
else
other-python-tests:
	@echo "other-python-tests: run it through 'make test-newest-python'"; exit 2
endif

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
	rm -rf $(VENV) .venv-py* .pytest_cache .ruff_cache .hypothesis *.egg-info
