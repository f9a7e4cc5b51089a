# Two commands do all the set-up on a fresh machine:
#   make demo   the whole story on an embedded AWS emulator (no AWS account)
#   make test   the full test suite (unit, integration on the emulator, infrastructure synth)
# Both create .venv on first use and install exactly uv.lock into it (uv sync --locked); `make test`
# also installs the pinned CDK CLI from package-lock.json (npm ci).
#   make lock   re-resolve every dependency to its newest allowed release, re-export the functions'
#               requirement files; then `make test` says what the upgrade broke.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
# The installer; the same version is pinned in uv.lock's dev group (tests/unit/test_lock.py).
UV_VERSION := 0.13.9

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export OMP_NUM_THREADS ?= 1
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test synth lock bench clean

$(INSTALLED): uv.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv sync --locked --quiet --python $(BIN)/python
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(INSTALLED)
	$(BIN)/lightship demo

test: $(INSTALLED) $(NODE_INSTALLED)
	$(BIN)/python -m pytest

synth: $(INSTALLED) $(NODE_INSTALLED)
	npx cdk synth --no-notices

lock: $(INSTALLED)
	$(BIN)/uv lock --upgrade
	$(BIN)/uv sync --locked --quiet --python $(BIN)/python
	$(BIN)/python -m infra.locked_requirements

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache
