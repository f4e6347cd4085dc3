# Two commands on a fresh machine: `make run` and `make test` (they install what they need).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The interpreter of .venv: the distribution's own python3 when it is 3.11 or newer (Debian builds
# it with profile-guided and link-time optimisation and links libpython in; pyenv's default build
# from source took about 10 % more CPU per operation under `make load`, docs/performance.md),
# otherwise the python3 on PATH. `make PYTHON=...` chooses another (a PYTHON in the environment
# is left alone: other tools use that name); an existing .venv is kept as it is.
PYTHON := $(shell /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	>/dev/null 2>&1 && echo /usr/bin/python3 || echo python3)
PACKAGES := libs/kit services/identity services/orders services/subsidies services/support services/privacy deploy/devstack
SERVICES := identity orders subsidies support privacy
CODE := libs/kit $(foreach s,$(SERVICES),services/$(s)/$(s)) deploy/devstack/devstack bench proof tests
# Each service's tests as the package pytest imports them under (services.<name>.tests).
SERVICE_TESTS := $(foreach s,$(SERVICES),-p services.$(s).tests)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH):/usr/sbin:/sbin

.PHONY: run test lint typecheck pytest bench venv compose-check compose-test clean backup \
	restore chaos security load data proof-fast

run: venv
	@deploy/local/system-deps.sh run
	@$(PY) -m devstack run

test: venv lint typecheck compose-check
	@deploy/local/system-deps.sh test
	@deploy/local/test-services.sh
	@test -d tests/browser/node_modules || (cd tests/browser && npm ci --no-audit --no-fund)
	@test -d tests/oidc/node_modules || (cd tests/oidc && npm ci --no-audit --no-fund)
	@$(PY) -m pytest
	@$(MAKE) --no-print-directory proof-fast
	@$(MAKE) --no-print-directory compose-test

lint: venv
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache --no-logo

typecheck: venv
	@$(VENV)/bin/mypy $(CODE)
	@$(VENV)/bin/mypy $(SERVICE_TESTS)

compose-check:
	@deploy/local/system-deps.sh test
	@docker-compose --env-file .env.example -f docker-compose.yml config -q && echo "docker-compose.yml is valid"

# The compose deployment for real (tests/compose, deploy/README.md "The compose test"): every
# image built (stand-ins of the registries' images from Debian's packages, cached), the stack up
# on podman as a staging environment, every container healthy, the platform's journeys through
# the published gateway port, then down -v. Needs root (debootstrap, podman's networks).
compose-test: venv
	@deploy/local/system-deps.sh compose
	@COMPOSE_TEST=1 $(PY) -m pytest tests/compose -p no:cacheprovider -s -q

# Encrypted, dated dumps of every service's database under var/backups (BACKUP_KEY).
backup: venv
	@$(PY) -m devstack.backup backup

# make restore FROM=var/backups/<time> [SERVICES="orders identity"]: then erases again
# everyone erased since (python -m privacy.forget replay).
restore: venv
	@test -n "$(FROM)" || (echo "usage: make restore FROM=var/backups/<time> [SERVICES=...]" && exit 2)
	@$(PY) -m devstack.backup restore $(FROM) $(SERVICES)

# make data SUBJECTS=N [TENANTS=T] [PASSWORD=...]: N people with three years of data in every
# service of the local run (make run), or of the databases DATABASE_URL names (bench/data).
data: venv
	@test -n "$(SUBJECTS)" || (echo "usage: make data SUBJECTS=N [TENANTS=T] [PASSWORD=...]" && exit 2)
	@DATA_PASSWORD="$(PASSWORD)" $(PY) -m bench.data --subjects $(SUBJECTS) $(if $(TENANTS),--tenants $(TENANTS))

bench: venv
	@deploy/local/system-deps.sh bench
	@deploy/local/test-services.sh
	@$(PY) -m bench.gateway
	@$(PY) -m bench.logins
	@$(PY) -m bench.dsr
	@$(PY) -m bench.orders
	@$(PY) -m bench.import_users

# The proof suites: each starts the platform on PostgreSQL and RabbitMQ, prints a summary
# table and writes it to proof/results/<suite>-<time>.md; it fails when a check fails.
# Reliability: 200 data-subject requests while each service is killed and RabbitMQ restarts.
chaos: venv
	@deploy/local/system-deps.sh bench
	@deploy/local/test-services.sh
	@$(PY) -m proof.chaos

# The fast part of the two suites above and below, run by every `make test` (README, "Tests"; docs/events.md):
# a smaller chaos run (30 erasures, 6 blows, no broker restart) and one Schemathesis pass per
# service, each on a stack of its own.
proof-fast: venv
	@deploy/local/system-deps.sh bench
	@deploy/local/test-services.sh
	@CHAOS_FAST=1 $(PY) -m proof.chaos
	@SECURITY_FAST=1 $(PY) -m proof.security

# Security: Schemathesis, sslyze, gixy-ng, the role matrix and the token attacks.
security: venv
	@deploy/local/system-deps.sh bench
	@deploy/local/test-services.sh
	@$(PY) -m proof.security

# Load: 60 s of browse, order, tickets and privacy requests; p99, 5xx, the stack's memory.
load: venv
	@deploy/local/system-deps.sh bench
	@deploy/local/test-services.sh
	@deploy/local/broker-limits.sh
	@$(PY) -m proof.load

venv: $(VENV)/.installed

$(VENV)/.installed: constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@PYTHON='$(PYTHON)' deploy/local/system-deps.sh python
	@test -x $(PY) || '$(PYTHON)' -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt \
		-r requirements-dev.txt $(addprefix -e ,$(PACKAGES))
	@touch $@

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache

# The monitoring profile and the Kubernetes manifests alone (make test runs both through
# tests/test_monitoring.py and tests/test_kubernetes.py): promtool's checks and rule tests,
# every manifest against the Kubernetes schemas shipped by kubernetes-validate (offline).
.PHONY: ops-check
ops-check: venv
	@deploy/local/system-deps.sh test
	@cd deploy/monitoring && promtool check config prometheus.yml && promtool test rules tests/*.yml
	@$(PY) -m pytest -q tests/test_monitoring.py tests/test_kubernetes.py
