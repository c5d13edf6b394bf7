# Every target bootstraps .venv on its own: uv (installed with pip if missing), then the pinned
# requirements-dev.lock, then cx itself in editable mode.
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_PYTHON_DOWNLOADS := never
VENV := .venv
STAMP := $(VENV)/.installed
CX := $(VENV)/bin/cx

.PHONY: install lock demo test lint golden sample bench bench-scale bench-clv fuzz scale calibration clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements-dev.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(VENV)/bin/python requirements-dev.lock
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	$(VENV)/bin/python -m compileall -q cxcli
	@touch $(STAMP)

# Re-pin every dependency (hashes included) after editing pyproject.toml.
lock:
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --no-emit-index-url --no-header \
		--quiet -o requirements-dev.lock

demo: $(STAMP)
	$(CX) nps sample_data/survey.csv --format table
	$(CX) nps sample_data/survey.parquet --by Region --format table
	$(CX) nps sample_data/survey.csv --period month --format table
	$(CX) csat sample_data/survey.csv --score Sat --format table
	$(CX) ces sample_data/survey.csv --score Effort --by Channel --format table
	$(CX) fcr sample_data/tickets.csv --contacts Touches --reopened Reopened --resolved-at Closed --by Queue --format table
	$(CX) aht sample_data/tickets.csv --talk Talk --hold Hold --acw Wrap --by Agent --top 3 --min-n 120 --format table
	$(CX) art sample_data/tickets.parquet --created Opened --resolved Closed --period month --format table
	$(CX) churn sample_data/customers.csv --id Customer --start Signup --end Cancelled --format table
	$(CX) retention sample_data/customers.csv --from 2025-01-01 --to 2025-07-01 --period quarter --by Plan --format table
	$(CX) clv sample_data/orders.csv --customer Cust --amount Amount --date Ordered --lifespan 3 --margin 0.3 --format table
	$(CX) clv tests/data/cdnow_sample.csv --customer customer_id --model bgnbd --until 1997-10-01 --holdout 1998-07-01 --format table
	$(CX) arpu sample_data/orders.csv --from 2025-01-01 --to 2025-07-01 --period month --format table
	$(CX) mau sample_data/events.parquet --from 2025-01-01 --to 2025-07-01 --period month --format table
	$(CX) cohorts sample_data/customers.csv --id Customer --start Signup --end Cancelled --period quarter --format table
	$(CX) cohorts sample_data/events.parquet --user uid --time ts --period week --format table
	$(CX) redemption sample_data/loyalty.csv --member member --points pts --type kind --time at --format table
	$(CX) cac --spend sample_data/spend.csv --customers sample_data/customers.csv --date Day --amount Cost --start Signup --channel Source --arpu 80 --margin 0.7 --format table
	$(CX) sentiment sample_data/survey.csv --text Comment --score LTR --kpi nps --examples 2 --format table
	$(CX) themes sample_data/survey.parquet --text Comment --score LTR --kpi nps --terms 5 --format table
	$(CX) drivers sample_data/survey.csv --outcome LTR --attributes Price,Support,Delivery --by Region --format table
	$(CX) report --config sample_data/cx.toml
	@echo "The HTML report: $(CURDIR)/cx-report/report.html"

test: $(STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check cxcli tests sample_data bench
	$(VENV)/bin/ruff format --check cxcli tests sample_data bench

# Rewrite tests/golden/*.json after an intended change to a number or a key; a number the
# independent oracle (tests/golden_oracle.py) does not agree with, or has not checked, fails.
golden: $(STAMP)
	CX_UPDATE_GOLDEN=1 $(VENV)/bin/pytest tests/test_golden.py

sample: $(STAMP)
	$(VENV)/bin/python sample_data/generate.py --seed 7 --out sample_data

# cx next to DuckDB, polars and pandas on generated data (git-ignored bench_data/).
# BENCH_ARGS="--rows 1000000 --runs 5" for a quicker run.
bench: $(STAMP)
	$(UV) pip install --quiet --python $(VENV)/bin/python -e '.[bench]'
	$(VENV)/bin/python -m compileall -q cxcli  # time what an install runs, not recompiles
	$(VENV)/bin/python bench/bench.py $(BENCH_ARGS)

# cx mau over a generated hive dataset of 50M events (bench_data/, git-ignored): the local
# engine, --jobs 2 and --engine dask on a 2-worker LocalCluster, exact and --approx.
# SCALE_OUT_ARGS="--events 2000000 --files 8 --runs 1" for a quicker run.
bench-scale: $(STAMP)
	$(VENV)/bin/python -m compileall -q cxcli
	$(VENV)/bin/python bench/scale_out.py $(SCALE_OUT_ARGS)

# Property tests with a large budget (2,000 examples each instead of 60).
fuzz: $(STAMP)
	CX_HYPOTHESIS_PROFILE=long $(VENV)/bin/pytest tests/test_fuzz.py tests/test_quotes.py tests/test_where.py tests/test_kpi_contract.py \
		tests/test_values.py tests/test_times.py tests/test_units_labels.py tests/test_formats.py

# Peak memory as inputs grow (streamed from a generator, nothing on disk), and 1M segments.
scale: $(STAMP)
	$(VENV)/bin/python bench/scale.py $(SCALE_ARGS)

# Coverage of every interval and size of every test, by exact enumeration and simulation with
# known truths (a few minutes); exits 1 when one is out of its target. The table is the README's.
# CALIBRATION_ARGS="--sims 200 --enumerate 20" is CI's budget.
# BG/NBD and Gamma-Gamma fit time on 1M customers drawn from the models.
bench-clv: $(STAMP)
	$(VENV)/bin/python bench/clv_fit.py $(CLV_ARGS)

calibration: $(STAMP)
	$(VENV)/bin/python bench/calibration.py $(CALIBRATION_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis cx-report
