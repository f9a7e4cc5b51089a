# Two commands do all the set-up on a fresh machine:
#   make demo   the whole story on an embedded AWS emulator (no AWS account)
#   make test   the full test suite (unit, integration on the emulator, infrastructure synth)
# Both create .venv and install requirements.txt on first use; `make test` also installs the
# pinned CDK CLI from package-lock.json (npm ci).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export OMP_NUM_THREADS ?= 1

.PHONY: demo test synth bench clean

$(INSTALLED): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
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

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache
