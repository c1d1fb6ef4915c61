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

test: install
	$(PY) -m pytest

# Until the study report exists (issue 7), the main job is the survival analysis on a public dataset (R's lung).
report: install
	@echo "mabseq: the study report (issue 7) is not built yet; running the survival job on R's public lung dataset."
	$(VENV)/bin/mabseq survival tests/golden/data/lung.csv --time time --event status --group sex --out $(OUT)

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_km.py
	$(PY) benchmarks/bench_competing.py

# Needs R: apt-get install -y r-base-core r-cran-survival r-cran-cmprsk r-cran-kmsurv
goldens:
	Rscript tests/golden/make_goldens.R

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
