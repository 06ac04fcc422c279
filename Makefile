# chatwarden — the two commands of the quick start, and the rest.
#   make run    install what is missing, build, scan the bundled sample archive
#   make test   install what is missing, build, run the whole test suite
SWIFT ?= swift
# System libraries (Debian package names): PCRE2, SQLite, OpenCC (+ its dictionaries), pkg-config.
SYSTEM_PACKAGES := libpcre2-dev libsqlite3-dev libopencc-dev libopencc-data pkg-config python3
RUN_STATE ?= var/run
PREFIX ?= /usr/local

.PHONY: all deps build release run test clean samples

all: build

deps:
	@./scripts/install-deps.sh $(SYSTEM_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Scans samples/ into a store under var/run and prints the alerts. Exit status 1 from scan means
# "alerts found", which is what the sample archive is for.
run: build
	@mkdir -p $(RUN_STATE)
	@$(SWIFT) build --show-bin-path >/dev/null
	@"$$($(SWIFT) build --show-bin-path)/chatwarden" scan --state-dir $(RUN_STATE) samples/; \
	  status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi; \
	  echo; echo "Review them: export CHATWARDEN_STATE_DIR=$(CURDIR)/$(RUN_STATE); $$($(SWIFT) build --show-bin-path)/chatwarden alerts list"

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

samples:
	python3 samples/generate.py

clean:
	rm -rf .build var
