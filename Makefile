# Two commands: `make lab` (set up, then JupyterLab on lessons/) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# jupyter refuses to run as root unless told; add the flag only for root
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=

.PHONY: install lab test test-fast grade-demo site bench lock clean help

help:
	@echo "make lab         set up .venv if needed, then open JupyterLab on lessons/"
	@echo "make test        set up .venv if needed, then run the whole test suite"
	@echo "make install     only set up .venv (from requirements-lock.txt)"
	@echo "make grade-demo  run the nbgrader pipeline on sample submissions, print grades"
	@echo "make site        render every lesson, executed, to HTML in build/site/"
	@echo "make bench       run the benchmark scripts"

install: $(STAMP)

$(STAMP): pyproject.toml requirements-lock.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed, this is " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements-lock.txt -e ".[course,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (gradient stability)" > /dev/null
	@touch $(STAMP)
	@echo "Installed into $(VENV)."

lab: install
	@echo "Starting JupyterLab on lessons/ (stop it with Ctrl-C in this terminal, then y)."
	$(BIN)/jupyter lab $(ROOT_FLAG) --port=$(PORT) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/lessons

test: install
	OMP_NUM_THREADS=1 GRADKIT_HEADLESS=1 $(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

grade-demo: install
	$(BIN)/python -m gradkit.grading demo

site: install
	GRADKIT_HEADLESS=1 $(BIN)/jupyter nbconvert --to html --execute \
		--output-dir build/site lessons/*.ipynb

bench: install
	GRADKIT_HEADLESS=1 $(BIN)/python benchmarks/lesson_runtime.py

lock:
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[course,test]"
	build/lockenv/bin/python -m pip freeze --exclude-editable | sed 's/^torch==.*/torch==2.13.0/' > requirements-lock.txt.new
	@echo "Review requirements-lock.txt.new (keep its header comment), then move it over requirements-lock.txt."

clean:
	rm -rf build .pytest_cache submitted autograded feedback gradebook.db grades.csv
