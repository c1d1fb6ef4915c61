# mabseq: the two commands a new user needs are `make report` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out

.PHONY: install test report bench goldens clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# the tests also open the report in Debian's chromium and run the generated R check: installed here when missing
test: install
	bash tools/system_deps.sh
	$(PY) -m pytest

# The main job: the paper's study on the bundled SYNTHETIC twin cohort -> out/report.html, tables.docx, figures/,
# results.json/csv, fidelity.csv, the analysis datasets and an R script that rechecks them.
report: install
	$(VENV)/bin/mabseq report --out $(OUT)

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_km.py
	$(PY) benchmarks/bench_competing.py
	$(PY) benchmarks/bench_report.py

# Needs R: apt-get install -y r-base-core r-cran-survival r-cran-cmprsk r-cran-kmsurv
goldens:
	Rscript tests/golden/make_goldens.R

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
