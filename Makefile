# Two commands for a newcomer: `make run` (the main job locally) and `make test` (everything CI runs).
.PHONY: run test bench zips deploy destroy console

SAMCONFIG := $(CURDIR)/infra/samconfig.toml
SAM := PATH="$(CURDIR)/.venv/bin:$$PATH" sam

KEEP ?= 0

run:
	KEEP=$(KEEP) bash scripts/demo.sh

test:
	bash scripts/test.sh

bench:
	cargo bench --workspace

# The web console (console/dist, served by `care serve` at /console): npm packages from
# console/package-lock.json, bundled by esbuild. `cargo build` never needs Node.
console:
	cd console && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

# Lambda zips for x86_64 (arm64 is built by `sam build` in the deploy).
zips:
	bash scripts/build-zips.sh

# First run is guided (it saves the answers in infra/samconfig.toml); later runs reuse them.
# Checks credentials, region and build prerequisites before compiling anything.
deploy:
	.venv/bin/pip --version >/dev/null 2>&1 || python3 -m venv .venv
	.venv/bin/pip install -q -r infra/requirements.txt
	bash scripts/deploy-check.sh
	$(MAKE) --no-print-directory console
	CARE_CONSOLE_DIST=$(CURDIR)/console/dist $(SAM) build -t infra/template.yaml --config-file "$(SAMCONFIG)"
	$(SAM) deploy --config-file "$(SAMCONFIG)" $(if $(shell grep -qs '^region' infra/samconfig.toml && echo saved),,--guided)

destroy:
	$(SAM) delete --config-file "$(SAMCONFIG)"
