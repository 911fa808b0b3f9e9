# Two commands: `make lab` (set up, then JupyterLab on lessons/) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
# jupyter refuses to run as root unless told; add the flag only for root
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=

.PHONY: install lab test test-mutants test-fast grade report grade-demo site browser sandbox bench lock clean help

help:
	@echo "make lab         set up .venv if needed, then open JupyterLab on lessons/"
	@echo "make test        set up .venv if needed, then run the whole test suite"
	@echo "make test-mutants  grade every mutant alone (make test grades them in rounds)"
	@echo "make install     only set up .venv (from requirements-lock.txt)"
	@echo "make grade A=psNN_topic  grade submitted/*/psNN_topic/ (sandboxed, in parallel)"
	@echo "make report A=psNN_topic  class report of a graded assignment (reports/psNN_topic/index.html)"
	@echo "make grade-demo  grade sample submissions of ps02 in a scratch course, print grades"
	@echo "make site        render every lesson, executed, to HTML in build/site/ (open index.html)"
	@echo "make browser     install chromium for the browser test if missing (root + apt-get)"
	@echo "make sandbox     install bubblewrap, the grading sandbox, if missing (root + apt-get)"
	@echo "make bench       time each lesson headless, then the GradientMonitor overhead (about 7 min)"

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
	@if [ -n "$$CI" ] || [ "$$(id -u)" = 0 ]; then \
		$(MAKE) --no-print-directory browser sandbox; fi
	OMP_NUM_THREADS=1 GRADKIT_HEADLESS=1 $(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Every mutant graded as a submission of its own (make test grades them in rounds, one
# mutant per cell in each: see tests/course.py); CI runs this after make test.
test-mutants: install
	GRADKIT_MUTANTS=each OMP_NUM_THREADS=1 GRADKIT_HEADLESS=1 $(BIN)/python -m pytest -n 2 \
		--dist loadgroup tests/test_grading_pipeline.py -k each_mutant_loses $(PYTEST_ARGS)

# The grading command: every submission in its own bubblewrap sandbox, tests outside it,
# in parallel; scores into gradebook.db, autograded/ and grades.csv. ARGS passes options
# (--student ID, --workers N, --scheduler tcp://host:8786, --db URL, --timeout S).
grade: install
	@if [ -z "$(A)" ]; then echo "usage: make grade A=psNN_topic [ARGS='--workers 2']"; exit 2; fi
	@$(MAKE) --no-print-directory sandbox
	$(BIN)/python -m gradkit.course grade $(A) $(ARGS)

# The class report of a graded assignment: item analysis, similar submissions, grades for
# an LMS, in reports/psNN_topic/ (index.html reads offline, and CSV files). ARGS passes
# options (--roster FILE, --db URL, --out DIR, --threshold X).
report: install
	@if [ -z "$(A)" ]; then echo "usage: make report A=psNN_topic [ARGS='--roster roster.csv']"; exit 2; fi
	$(BIN)/python -m gradkit.course report $(A) $(ARGS)

grade-demo: install
	@$(MAKE) --no-print-directory sandbox
	$(BIN)/python -m gradkit.course demo

# Every lesson executed headless (static figures, self-checks as HTML) into build/site/,
# with an index.html linking them in order and MathJax copied alongside (reads offline).
site: install
	OMP_NUM_THREADS=1 GRADKIT_HEADLESS=1 $(BIN)/python -m gradkit.course.site build/site \
		lessons/[0-9][0-9]_*.ipynb
	@echo "Open build/site/index.html, or serve it: $(BIN)/python -m http.server -d build/site"

# Chromium for tests/test_browser.py (Debian's package; Playwright drives it and never
# downloads a browser). Installed only when missing, as root, with apt-get; otherwise say
# so: the browser test then skips, except in CI (CI set), where it fails.
browser:
	@if command -v chromium > /dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then \
		echo "Installing chromium (apt-get) for the browser test ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; \
	else \
		echo "chromium is missing and cannot be installed here (needs root and apt-get):" \
			"tests/test_browser.py will skip (and fail in CI)."; \
	fi

# bubblewrap sandboxes each submission's kernel when grading (Debian's package). Installed
# only when missing, as root, with apt-get; otherwise say so: `make grade` then refuses
# to grade for credit (it names --no-sandbox), and the sandbox tests skip, except in CI.
sandbox:
	@if command -v bwrap > /dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null 2>&1; then \
		echo "Installing bubblewrap (apt-get) for the grading sandbox ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap > /dev/null; \
	else \
		echo "bubblewrap is missing and cannot be installed here (needs root and apt-get):" \
			"make grade needs --no-sandbox, and the sandbox tests skip (and fail in CI)."; \
	fi

bench: install
	GRADKIT_HEADLESS=1 $(BIN)/python benchmarks/lesson_runtime.py
	$(BIN)/python benchmarks/monitor_overhead.py --breakdown --floor --repeats 31

lock:
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[course,test]"
	build/lockenv/bin/python -m pip freeze --exclude-editable | sed 's/^torch==.*/torch==2.13.0/' > requirements-lock.txt.new
	@echo "Review requirements-lock.txt.new (keep its header comment), then move it over requirements-lock.txt."

clean:
	rm -rf build .pytest_cache submitted autograded feedback gradebook.db grades.csv reports
