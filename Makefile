# Two commands for a fresh machine:
#   make demo   the main job on the embedded defaults (demo data, offline mode)
#   make test   the test suite
# Each creates .venv when missing (uv from PyPI does the installing; PyTorch stays the CPU build).

PYTHON ?= python3
VENV   ?= .venv
UV      = $(VENV)/bin/uv
ZG      = $(VENV)/bin/zhanggui

# Local wheel folders that pip knows about (e.g. a CPU PyTorch on disk) are passed to uv too.
ifneq ($(strip $(PIP_FIND_LINKS)),)
export UV_FIND_LINKS ?= $(PIP_FIND_LINKS)
endif

.PHONY: demo test evals bench clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet uv

$(VENV)/.installed: pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(VENV)/bin/python -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(VENV)/bin/python -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(ZG) demo

test: $(VENV)/.installed-dev
	$(VENV)/bin/python -m pytest

evals: $(VENV)/.installed
	$(VENV)/bin/python -m evals

bench: $(VENV)/.installed
	$(VENV)/bin/python -m evals --bench

clean:
	rm -rf $(VENV) .zhanggui
