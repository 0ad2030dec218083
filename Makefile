# Planpool: `make run` and `make test` are all a fresh machine needs.
VENV    ?= .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app app
# Two workers: the suite (SQLite, browser, PostgreSQL) stays well inside CI's time.
PYTEST_ARGS ?= -n 2

.PHONY: run test test-postgres bench profile screenshots install translations extract-messages runtime-deps system-deps clean security

# What running needs (`make run`); the test tools come on top (`make test`).
# uv installs the pinned wheels in parallel: a cold start takes seconds for
# what pip took minutes (pip only fetches uv itself, into the virtualenv).
UV      := $(VENV)/bin/uv
UV_PIN  := uv==0.13.9

$(UV):
	test -x $(PY) || python3 -m venv --without-pip $(VENV)
	python3 -m pip --python $(PY) install --quiet --disable-pip-version-check $(UV_PIN)

$(VENV)/.runtime: requirements.txt | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	$(UV) pip install --quiet --python $(PY) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogues are build output (not committed).
translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations 2>/dev/null

# Refresh the catalogues after changing strings: then translate da and sv.
# Every top-level module and package, as tests/test_translations.py checks.
extract-messages: $(VENV)/.runtime
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o translations/messages.pot \
	    *.py blueprints planner pool messaging common integrations templates
	$(VENV)/bin/pybabel update -N -i translations/messages.pot -d translations

# Debian packages WeasyPrint (the letters' PDF) needs to run: Pango.
RUNTIME_DEBS := libpango-1.0-0 libpangoft2-1.0-0

runtime-deps:
	@if ! ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1; then \
	  echo "Installing Pango for the PDF letters"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(RUNTIME_DEBS) >/dev/null; \
	fi

# Debian packages the tests need: Pango (above), Chromium for the browser
# tests (Playwright never downloads one) and redis-server for the tests of
# two app servers and two workers on one Redis (they start their own).
system-deps: runtime-deps
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/redis-server ]; then \
	  echo "Installing Chromium and redis-server for the tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium redis-server >/dev/null; \
	fi

# Development mode: unsigned SMS webhooks are accepted (never in production).
run: export PLANPOOL_DEV := 1
run: runtime-deps $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" HOST=127.0.0.1 PORT=5000 honcho start

# Static security check of the code that ships, every severity and confidence
# level (a false positive gets a `# nosec BXXX` with its reason on its line).
# tests/ and benchmarks/ are left out: they are never deployed, and they do on
# purpose what the app must not (open URLs of local test servers, start
# processes, bind ports). tests/test_hardening.py runs the same BANDIT_ARGS.
BANDIT_ARGS := -q -r . -x ./.venv,./tests,./benchmarks

security: $(VENV)/.installed
	$(VENV)/bin/bandit $(BANDIT_ARGS)

test: install system-deps security
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL: TEST_DATABASE_URL must name a server we may
# create databases on (.ci/run starts one).
test-postgres: install runtime-deps
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# Speed figures (DESIGN.md workloads): one line per workload, median_ms last.
bench: install
	$(PY) -m benchmarks

# A flame graph of one workload (its data building included): `make profile
# BENCH=W2` writes instance/profile-W2.svg. See benchmarks/README.md.
BENCH ?= W2
profile: install
	mkdir -p instance
	$(VENV)/bin/py-spy record -o instance/profile-$(BENCH).svg -- $(PY) -m benchmarks $(BENCH)

# The README's pictures, from a fresh demo database (needs /usr/bin/chromium).
screenshots: install system-deps
	$(PY) -m benchmarks.screenshots

clean:
	rm -rf $(VENV) .pytest_cache
