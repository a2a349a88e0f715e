# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo lint bench derivations clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip uninstall -q -y jacobi 2>/dev/null || true  # the distribution's name before jacobi-calculus
	$(PY) -m pip install -q -e '.[test,dev,examples]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m jacobi.demo

derivations: $(STAMP)
	$(PY) -m jacobi.derivations derivations
	$(PY) -m jacobi.notebook derivations/tour.ipynb

lint: $(STAMP)
	$(VENV)/bin/ruff check jacobi tests bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

bench: $(STAMP)
	$(PY) bench/bench_backprop.py
	$(PY) bench/bench_depth.py
	$(PY) bench/bench_second.py
	$(PY) bench/bench_layers.py
