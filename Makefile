# The two Quick-start commands of the README, plus the benchmark.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FASHION := /usr/share/datasets/fashion-mnist

.PHONY: demo test test-fast bench bench-epochs lint data coverage mutate

$(VENV)/.ember-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,plots,mpi,onnx]'
	touch $@

# Fashion-MNIST comes from Debian's package; installing it needs root and apt.
data:
	@[ -d $(FASHION) ] || (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) \
		|| echo "note: could not install dataset-fashion-mnist; tests that need it will skip"

# The main job: the lecture's headline claim (pre-training vs random init), 2 to 10 minutes on
# 2 cores. One BLAS thread: on a busy machine more threads wait for each other.
demo: $(VENV)/.ember-installed data
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(VENV)/bin/ember demo pretraining

# The fast suite (its summary says where it stands against its 2-minute budget), then the slow
# set, run even when the fast suite fails (kill-and-resume, every compatibility program on both
# libraries, all shapes of the op table's second derivatives, ...); fails if either failed.
test: $(VENV)/.ember-installed data
	$(PY) -m pytest --durations=10; fast=$$?; \
		$(PY) -m pytest -m slow --durations=5; slow=$$?; \
		[ $$fast -eq 0 ] && [ $$slow -eq 0 ]

test-fast: $(VENV)/.ember-installed
	$(PY) -m pytest --durations=10

# The whole suite (fast and slow: -m "") under coverage.py, child processes included (the
# command's resume and Ctrl-C paths run only there); figures in docs/testing.md.
coverage: $(VENV)/.ember-installed data
	rm -f .coverage .coverage.*
	$(PY) -m coverage run -m pytest -m ""; status=$$?; \
		$(PY) -m coverage combine --quiet && $(PY) -m coverage report --sort=cover; exit $$status

# Mutation testing (cosmic-ray) of the engine, function.py and a weekly sample of ops files;
# about 30 minutes on 2 idle cores. Survivors and what they mean: docs/testing.md.
mutate: $(VENV)/.ember-installed
	$(PY) -m pip install --quiet -e '.[test,plots,mutation]'
	nice -n 10 $(PY) tools/mutate.py

bench: $(VENV)/.ember-installed
	$(PY) -m benchmarks.run

# The 15-epoch Fashion-MNIST MLP run, epoch by epoch, ember and PyTorch (about 10 minutes on an
# idle machine); writes the result whose last/first-epoch ratio `make bench` checks.
bench-epochs: $(VENV)/.ember-installed data
	$(PY) -m benchmarks.epoch_times

lint: $(VENV)/.ember-installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
