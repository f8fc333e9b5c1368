# Two commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app cocreate
VENDOR := static/vendor

.PHONY: run test install install-test vendor db lint messages

run: install vendor db
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install-test vendor
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/run.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/test.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

vendor: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/socket.io-client/dist/socket.io.min.js $(VENDOR)/
	cp node_modules/axe-core/axe.min.js $(VENDOR)/

db:
	$(FLASK) db upgrade

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages:  # extract translatable strings into translations/messages.pot
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o translations/messages.pot .

# Production-like serving: migrate, then gunicorn with the gevent-websocket worker
# (settings in cocreate/gunicorn_conf.py). COCREATE_ENV defaults to production here, which
# needs SECRET_KEY (32+ characters); set DATABASE_URL and REDIS_URL as deployed. Start one
# per core on ports of their own: make serve SERVE_BIND=127.0.0.1:8001
SERVE_BIND ?= 127.0.0.1:8000
.PHONY: serve
serve: export COCREATE_ENV ?= production
serve: install vendor db
	$(BIN)/gunicorn --config cocreate/gunicorn_conf.py --bind $(SERVE_BIND)
