# lvs.cluster developer entry points.  `make help` lists them.
#
# `make test` is what CI (.ci/run) runs: it sets up a fresh Debian 12 machine
# (apt packages, pinned virtualenv, offline fixes for ansible-test/ansible-lint)
# and runs unit, lint, sanity, e2e, the lab's own tests and every Molecule scenario (lab_smoke,
# dr, tun, nat, ipv6, mixed, ha) on the User-Mode Linux lab (real IPVS).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs only Ansible (and PyYAML for the lab): installing the whole pinned dev
# toolchain (molecule, ansible-lint, sphinx...) would double a fresh demo's time.
DEMO_STAMP := $(VENV)/.demo-installed
DEMO_PACKAGES := ansible ansible-core PyYAML Jinja2 MarkupSafe packaging resolvelib cryptography cffi pycparser
# The repo root is the collection root; Ansible and Python need it below an
# ansible_collections/lvs/cluster path, which a symlink in .tmp provides.
COLLECTIONS := $(CURDIR)/.tmp/collections
LINK := $(COLLECTIONS)/ansible_collections/lvs/cluster
SANITY_ROOT := $(CURDIR)/.tmp/sanity
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)
# Molecule scenarios run by `make test`, one after another (each boots its own lab topology;
# two labs at once on 2 cores slow each other down more than they gain). All seven fit CI's
# 45-minute budget since a converge costs one module call per host (the whole of make test
# took 31.1 min on a fresh clone here; times: docs/testing.md). SCENARIOS=... picks others.
ALL_SCENARIOS := lab_smoke dr tun nat ipv6 mixed ha
CI_SCENARIOS := $(ALL_SCENARIOS)
SCENARIOS ?= $(CI_SCENARIOS)
# A failed scenario runs once more; a pass then is reported FLAKY with the first failure
# (tests/tools/run_scenarios.py). MOLECULE_RETRY=0 fails at once.
MOLECULE_RETRY ?= 1

.PHONY: help setup host-packages test check unit e2e lint sanity lab-test molecule molecule-all lab-build demo lab-down bench bench-lab changelog clean
# The demo cluster: lab topology "default" with the mixed DR+TUN+NAT inventory.
DEMO_INSTANCE ?= demo
DEMO_INVENTORY := molecule/mixed/inventory
DEMO_REPORT := $(CURDIR)/.tmp/demo-report.txt
# Lab SSH settings for playbook runs outside Molecule (as in .config/molecule/config.yml, the Molecule base config): without
# pipelining and a persistent master every task costs extra round trips into a guest.
LAB_ANSIBLE_ENV := ANSIBLE_PIPELINING=True ANSIBLE_FORKS=10 ANSIBLE_HOST_KEY_CHECKING=False \
  ANSIBLE_SSH_ARGS='-o ControlMaster=auto -o ControlPersist=300s -o ServerAliveInterval=5 -o ServerAliveCountMax=3'

help:  ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: host-packages $(STAMP) $(LINK)  ## install everything the suites need (idempotent)
	@$(BIN)/python tests/tools/install_get_pip_standin.py

host-packages:  ## apt packages for the lab and the tools (root, Debian 12)
	@missing=$$(for p in $$(grep -v '^#' lab/host-packages.txt 2>/dev/null) git rsync; do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): tests/requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r tests/requirements-dev.txt
	touch $@

$(DEMO_STAMP): tests/requirements-dev.txt
	if [ ! -e $(STAMP) ]; then \
	  $(PYTHON) -m venv $(VENV) && \
	  $(BIN)/pip install -q $$(for p in $(DEMO_PACKAGES); do grep -i "^$$p==" tests/requirements-dev.txt; done); \
	fi
	touch $@

$(LINK):
	mkdir -p $(dir $(LINK))
	ln -sfn $(CURDIR) $(LINK)

test: setup unit lint sanity e2e lab-test molecule  ## what CI runs: every suite and every Molecule scenario

check: setup unit lint  ## fast inner loop: unit tests + lint

unit: $(STAMP) $(LINK)  ## unit and property tests of the pure cores (no VMs)
	$(BIN)/pytest -q tests/unit tests/lab

e2e: $(STAMP) $(LINK)  ## playbooks run by ansible-playbook against unreachable inventories
	$(BIN)/pytest -q tests/e2e

lint: $(STAMP) $(LINK)  ## ansible-lint, production profile, offline
	cd $(LINK) && $(BIN)/ansible-lint --offline --profile production

sanity: $(STAMP)  ## ansible-test sanity on a clean copy of the collection
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)/ansible_collections/lvs/cluster
	# The lab, benches and dev tools are not part of the built collection
	# (galaxy.yml build_ignore), so sanity sees what `ansible-galaxy build` ships.
	git ls-files -co --exclude-standard | grep -Ev '^(lab|bench|tests/tools|tests/lab|tests/lab_live|\.ci)/' | \
	  rsync -a --files-from=- ./ $(SANITY_ROOT)/ansible_collections/lvs/cluster/
	# Its own git index: otherwise ansible-test finds this checkout's .git, sees
	# .tmp/ as ignored and skips every target.
	cd $(SANITY_ROOT)/ansible_collections/lvs/cluster && git init -q && git add -A && \
	  $(BIN)/ansible-test sanity --venv --python 3.11 --color no

lab-test: $(STAMP) lab-build  ## the lab's own faults, reboot, isolation and teardown on real UML hosts
	$(BIN)/pytest -q tests/lab_live

molecule: $(STAMP) $(LINK) lab-build  ## CI's Molecule scenarios on the UML lab (real IPVS); SCENARIOS=... picks others
	$(BIN)/python tests/tools/run_scenarios.py --molecule $(BIN)/molecule --retry $(MOLECULE_RETRY) $(SCENARIOS)

molecule-all: SCENARIOS = $(ALL_SCENARIOS)
molecule-all: molecule  ## every Molecule scenario, the per-mode ones included

lab-build: $(DEMO_STAMP)  ## build (or reuse) the cached lab image
	$(BIN)/python lab/labctl.py build

demo: host-packages $(DEMO_STAMP) $(LINK) lab-build  ## boot the lab, converge a DR+TUN+NAT cluster, print the traffic report
	@mkdir -p .tmp && rm -f $(DEMO_REPORT)
	$(BIN)/python lab/labctl.py up default --instance $(DEMO_INSTANCE)
	lab_inv=$$($(BIN)/python lab/labctl.py inventory --instance $(DEMO_INSTANCE)); \
	  $(LAB_ANSIBLE_ENV) $(BIN)/ansible-playbook -i "$$lab_inv" -i $(DEMO_INVENTORY) playbooks/site.yml && \
	  $(LAB_ANSIBLE_ENV) $(BIN)/ansible-playbook -i "$$lab_inv" -i $(DEMO_INVENTORY) playbooks/verify.yml \
	    -e lvs_verify_report_file=$(DEMO_REPORT)
	@echo
	@echo "The lab stays up: try 'python3 lab/labctl.py ssh client -i $(DEMO_INSTANCE)'; stop it with 'make lab-down'."
	@echo "Per VIP: connections each real server got / connections sent (the directors' IPVS counters):"
	@cat $(DEMO_REPORT)

lab-down:  ## stop the demo lab
	$(BIN)/python lab/labctl.py down --instance $(DEMO_INSTANCE)

bench: $(STAMP) $(LINK)  ## benchmarks that need no VM
	$(BIN)/python bench/validate_scale.py
	$(BIN)/python bench/ipvs_apply.py
	$(BIN)/python bench/controller_scale.py

bench-lab: $(STAMP) $(LINK) lab-build  ## benchmarks on the lab VMs (IPVS apply, whole ipvs tasks, data plane, converge; the task bench adds ~9 min)
	$(BIN)/python bench/ipvs_apply_lab.py
	$(BIN)/python bench/ipvs_task_lab.py
	$(BIN)/python bench/dataplane.py
	$(BIN)/python bench/converge.py --verify

changelog: $(STAMP)  ## lint changelog fragments
	$(BIN)/antsibull-changelog lint

clean:  ## remove build and test leftovers (not the lab image cache)
	rm -rf .tmp tests/output .pytest_cache .hypothesis
