# Two entry points, both self-installing: `make run` opens the app, `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test install

run: $(VENV)/.installed
	$(BIN)/nnstudio

test: $(VENV)/.installed
	$(BIN)/lint-imports
	$(BIN)/ruff check nnstudio tests
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q

install: $(VENV)/.installed

# torch is pinned to the 2.13.0 CPU build before the project is installed, so that pip never
# resolves an unpinned torch to a multi-GB CUDA download.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@
