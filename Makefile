# Two entry points, both self-installing: `make run` opens the app, `make test` runs every check.
# Each set-up step prints one line saying what it installs, and runs again only when its inputs change.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PIP     = -m pip --disable-pip-version-check --quiet

# torch is pinned to the 2.13.0 CPU build and installed before the project, so that pip never resolves an
# unpinned torch to a multi-GB CUDA download. PyTorch's own index serves the CPU build on every platform;
# where it cannot be reached, the plain pin comes from PyPI (on Linux, PyPI's build is the larger CUDA one).
TORCH         = torch==2.13.0
TORCH_CPU_URL = https://download.pytorch.org/whl/cpu
# The pins the virtual environment was made with: changing one here re-installs torch.
PINS          = $(TORCH) $(TORCH_CPU_URL)

# The wheel check: build the sdist and the wheel from it, install the wheel alone into a clean venv.
CHECK   = build/wheel-check

.PHONY: run test install wheel-check FORCE

run: $(VENV)/.installed
	$(BIN)/nnstudio

test: $(VENV)/.installed
	$(BIN)/lint-imports
	$(BIN)/ruff check nnstudio tests .ci
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q
	@$(MAKE) --no-print-directory wheel-check

install: $(VENV)/.installed

# $(call install_torch,PYTHON): the CPU build from PyTorch's index when it answers within 3 s, else the plain pin.
define install_torch
	@if $(1) -c "import urllib.request as r; r.urlopen('$(TORCH_CPU_URL)/torch/', timeout=3)" 2>/dev/null; then \
	    echo "==> torch: downloading $(TORCH), the CPU build (100-200 MB), from PyTorch's CPU index $(TORCH_CPU_URL)"; \
	    $(1) $(PIP) install --index-url $(TORCH_CPU_URL) $(TORCH); \
	else \
	    echo "==> torch: PyTorch's CPU index is not reachable: installing $(TORCH) from PyPI (or pip's cache) instead"; \
	    $(1) $(PIP) install $(TORCH); \
	fi
endef

# Checked before anything is downloaded: Python >= 3.11 with its venv module.
$(BIN)/python:
	@version=$$($(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null) || version="not found"; \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	    echo "nnstudio needs Python 3.11 or newer, but '$(PYTHON)' is $$version: install Python 3.11+" \
	         "and run e.g. 'make $(or $(MAKECMDGOALS),run) PYTHON=python3.12'" >&2; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	    echo "'$(PYTHON)' has no venv module: install it (Debian/Ubuntu: sudo apt install python3-venv) and run make again" >&2; \
	    exit 1; }
	@echo "==> venv: creating $(VENV) with $$($(PYTHON) --version) (nothing to download)"
	@$(PYTHON) -m venv $(VENV)

# Rewritten only when the pins change, so that its date tells when they did.
$(VENV)/.pins: FORCE | $(BIN)/python
	@echo '$(PINS)' | cmp -s - $@ || echo '$(PINS)' > $@

$(VENV)/.torch: $(VENV)/.pins
	$(call install_torch,$(BIN)/python)
	@touch $@

# setuptools notes, as a warning, that an editable install of a package at the top of the checkout can be
# shadowed by a same-named folder in the working directory; here that folder is the package itself, so
# that one message is filtered (src/ layout, the usual cure, is not this repository's layout).
$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	@echo "==> nnstudio: installing it (editable) with NumPy, PySide6, pyqtgraph and the test tools, from PyPI (about 150 MB)"
	@PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python $(PIP) install -e '.[test]'
	@touch $@
	@echo "==> ready: $(BIN)/nnstudio"

wheel-check: $(VENV)/.installed
	@echo "==> wheel: building the sdist and, from it, the wheel into $(CHECK)/dist"
	@rm -rf $(CHECK) && mkdir -p $(CHECK)/empty
	@$(BIN)/python -m build --outdir $(CHECK)/dist . > $(CHECK)/build.log 2>&1 || { cat $(CHECK)/build.log; exit 1; }
	@echo "==> wheel: installing it alone into the clean virtual environment $(CHECK)/venv"
	@$(BIN)/python -m venv $(CHECK)/venv
	$(call install_torch,$(CHECK)/venv/bin/python)
	@$(CHECK)/venv/bin/python $(PIP) install $(CHECK)/dist/nnstudio-*.whl
	@echo "==> wheel: running the installed nnstudio from an empty folder"
	cd $(CHECK)/empty && ../venv/bin/nnstudio --version
	cd $(CHECK)/empty && QT_QPA_PLATFORM=offscreen ../venv/bin/nnstudio snapshot --preset sine --epochs 20 -o sine.png
	test -s $(CHECK)/empty/sine.png
	cd $(CHECK)/empty && ../venv/bin/python $(CURDIR)/.ci/check_installed.py $(CURDIR)/resources

FORCE:
