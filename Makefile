# Everything runs from the project venv; `make run` and `make test` create it when missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Reinstall when either requirements file changes.
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv run sla-tick replay-dlq restore-drill tenant-add metrics-backfill backfill-people test lint fmt bench cost browser package deploy

venv: $(STAMP)

$(STAMP): requirements-dev.txt requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: venv
	$(BIN)/python -m local.run

# One SLA sweep against the running `make run` stack as if it were AT (default: now), e.g.
# `make sla-tick AT=2026-11-24T10:00:00Z`; STACK_FILE picks another stack than .local/'s.
sla-tick: venv
	@$(BIN)/python -m local.sla_tick $(if $(AT),--at '$(AT)') $(if $(STACK_FILE),--stack-file '$(STACK_FILE)')

# Move dead-lettered mail and notifications back to their queues on the running stack, once
# what made them fail is fixed: make replay-dlq [QUEUE=inbound|notifications|webhooks|uploads] (docs/mail.md).
replay-dlq: venv
	@$(BIN)/python -m local.replay_dlq $(if $(QUEUE),--queue '$(QUEUE)') \
		$(if $(STACK_FILE),--stack-file '$(STACK_FILE)')

# Export one tenant of the running `make run` stack to S3, restore it into a fresh table made
# from infra/template.yaml and verify the copy (docs/backup-restore.md), e.g.
# `make restore-drill TENANT=demo`; KEEP=1 leaves the restored table, STACK_FILE as above.
restore-drill: venv
	@$(BIN)/python -m local.restore_drill --tenant '$(or $(TENANT),demo)' $(if $(KEEP),--keep) \
		$(if $(STACK_FILE),--stack-file '$(STACK_FILE)')

# Onboard a customer on the running stack: make tenant-add ID=globex NAME="Globex BV" \
#   ADDRESS=helpdesk@globex.example.com ADMIN=it@globex.example.com [LOCALE=nl TZ=Europe/Brussels]
# (API=https://… TOKEN=<operator's ID token> for a deployed stack)
tenant-add: venv
	@$(BIN)/python -m local.tenant_add --id '$(ID)' --name '$(NAME)' --address '$(ADDRESS)' \
		--admin '$(ADMIN)' $(if $(LOCALE),--locale '$(LOCALE)') $(if $(TZ),--timezone '$(TZ)') \
		$(if $(API),--api '$(API)') $(if $(TOKEN),--token '$(TOKEN)')

# Count a tenant's tickets filed before report metrics existed (docs/metrics.md), on the
# running stack: make metrics-backfill TENANT=demo; on a deployed one add
# API=https://… TOKEN=<operator's ID token>. Idempotent: run it again to check, it counts 0.
metrics-backfill: venv
	@$(BIN)/python -m local.metrics_backfill --tenant '$(or $(TENANT),demo)' \
		$(if $(STACK_FILE),--stack-file '$(STACK_FILE)') \
		$(if $(API),--api '$(API)') $(if $(TOKEN),--token '$(TOKEN)')

# The e2e tests drive Debian's Chromium; installing it is skipped when it is already there.
# Once after deploying the people index (docs/macros-and-announcements.md): index old
# profiles; FROM_TICKETS=1 also gives every ticket's requester a profile.
backfill-people: venv
	@$(BIN)/python -m local.backfill_people $(if $(FROM_TICKETS),--from-tickets)

browser:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

test: venv browser
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/pytest -n 2 --dist loadgroup --durations=15

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(BIN)/python -m bench.run

# What Balie costs on AWS per 1,000 tickets, from measured calls (README.md, Cost).
cost: venv
	@$(BIN)/python -m bench.cost

# Deployment (docs/deploy.md). The packaged template is infra/template.yaml merged into what
# Chalice generates; the test suite lints it and checks its policies against the code.
STAGE ?= dev
REGION ?= eu-west-1
BUILD := build

package: venv
	rm -rf $(BUILD) && AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package --stage $(STAGE) \
		--merge-template infra/template.yaml $(BUILD)
	$(BIN)/python -m infra.bytecode $(BUILD)/deployment.zip $(BUILD)/sam.yaml
	$(BIN)/cfn-lint $(BUILD)/sam.yaml
	@ls -l $(BUILD)/deployment.zip

# Needs the AWS CLI, credentials for the target account, and an S3 bucket for the artefacts.
deploy: package
	@test -n "$(ARTIFACT_BUCKET)" || (echo "Set ARTIFACT_BUCKET=<an S3 bucket of yours for deployment artefacts>"; exit 2)
	aws cloudformation package --region $(REGION) --template-file $(BUILD)/sam.yaml \
		--s3-bucket $(ARTIFACT_BUCKET) --output-template-file $(BUILD)/packaged.yaml
	aws cloudformation deploy --region $(REGION) --template-file $(BUILD)/packaged.yaml \
		--stack-name balie-$(STAGE) \
		--parameter-overrides Stage=$(STAGE) Monitoring=$(or $(MONITORING),alarms) \
		$(if $(ALARM_EMAIL),AlarmEmail=$(ALARM_EMAIL)) \
		$(if $(API_ACCESS_LOGS),ApiAccessLogs=$(API_ACCESS_LOGS)) \
		$(if $(THREAT_PROTECTION),ThreatProtection=$(THREAT_PROTECTION) CognitoTier=PLUS) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND
