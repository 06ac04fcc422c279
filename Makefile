# chatwarden — the two commands of the quick start, and the rest.
#   make run    install what is missing, build, scan the bundled sample archive
#   make test   install what is missing, build, run the whole test suite
SWIFT ?= swift
# System libraries (Debian package names): PCRE2, SQLite, OpenCC (+ its dictionaries), zlib (the
# evidence bundles' ZIP files), ZBar and Leptonica (QR codes in images, the image files), pkg-config;
# libcurl and CA certificates for the webhooks (Foundation's URLSession uses libcurl on Linux).
# systemd provides systemd-analyze for the unit tests (it need not be running).
SYSTEM_PACKAGES := libpcre2-dev libsqlite3-dev libopencc-dev libopencc-data zlib1g-dev libzbar-dev libleptonica-dev libtesseract-dev tesseract-ocr-chi-sim tesseract-ocr-eng pkg-config python3 systemd libcurl4 ca-certificates
# Only the tests need these: headless Chromium renders the HTML report, with a CJK font, and
# drives the review console through chromium-driver (WebDriver, Tests/Browser); the
# shared-store tests start their own PostgreSQL server (the package's binaries, not its service);
# qrencode makes the QR-code images the media tests decode.
TEST_PACKAGES := chromium chromium-driver fonts-wqy-microhei postgresql qrencode python3-pil
RUN_STATE ?= var/run
PREFIX ?= /usr/local

.PHONY: all deps build release run test lint format clean samples install install-files crash-test bench fuzz soak

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

test: deps lint
	@./scripts/install-deps.sh $(TEST_PACKAGES)
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The layout every Swift file follows (.swift-format: 4 spaces, 120 columns); `make format` applies it.
FORMATTED := Sources Tests Benchmarks/Sources Fuzz/Sources
lint:
	$(SWIFT) format lint --strict --recursive $(FORMATTED)

format:
	$(SWIFT) format format --in-place --recursive --parallel $(FORMATTED)

samples:
	python3 samples/generate.py

# Benchmarks (Benchmarks/, a package of its own so the product never links Hyperscan):
#   make bench               all of them
#   make bench BENCH=match   normalise + detect vs Hyperscan, grep -F and PCRE2 tries
#   make bench BENCH=index   archive index: build rate, search, context, alerts list (1M messages)
#   make bench BENCH=rescan  scan and rescan of 162k and 1M messages beside jq and SQLite alone;
#                            search p50/p99 by query length; peak memory
#   make bench BENCH=daemon  append-to-alert latency at 2,000 msg/s; highest sustained rate
#   make bench BENCH=windows window updates per second, memory at 1M keys
#   make bench BENCH=media   QR and OCR rates; recall on screenshots; text-alert latency during a burst of images
#   make bench BENCH=screenshots  only the OCR part of BENCH=media
#   make bench BENCH=web     the review console: queue, filters, a reviewer's queue, alert page,
#                            search over 1M messages and 100k alerts (p50/p99 ms)
#   make bench BENCH=false-positives  contact detectors over real conversation text
#   make bench BENCH=shared-store     messages and alerts per second, 1/2/4 daemons on PostgreSQL
#   make bench BENCH=profile-detect   where one detect call's time goes (development)
#   make bench BENCH=quality  detection recall per evasion form, false positives per trap kind,
#                             ordinary messages flagged (scripts/quality.py, the release binary)
# They read ../shared/data and say so and stop when it is missing.
BENCH ?= all
bench: deps
	$(SWIFT) build -c release
ifeq ($(BENCH),quality)
	python3 scripts/quality.py --data ../shared/data --bin "$$($(SWIFT) build -c release --show-bin-path)/chatwarden"
else
	@./scripts/install-deps.sh libhyperscan-dev postgresql jq qrencode python3-pil fonts-wqy-microhei
	cd Benchmarks && $(SWIFT) build -c release
	CHATWARDEN_BIN="$$($(SWIFT) build -c release --show-bin-path)/chatwarden" \
	  Benchmarks/.build/release/chatwarden-bench $(BENCH) --data ../shared/data
ifeq ($(BENCH),all)
	python3 scripts/quality.py --data ../shared/data --bin "$$($(SWIFT) build -c release --show-bin-path)/chatwarden"
endif
endif

# Soak: 10 million messages through the release daemon, rotating files; resident memory and open
# descriptors at the start, middle and end (about half an hour here; not part of CI).
SOAK_MESSAGES ?= 10000000
soak: deps
	$(SWIFT) build -c release
	cd Benchmarks && $(SWIFT) build -c release
	CHATWARDEN_BIN="$$($(SWIFT) build -c release --show-bin-path)/chatwarden" CHATWARDEN_SOAK_MESSAGES=$(SOAK_MESSAGES) \
	  Benchmarks/.build/release/chatwarden-bench soak --data ../shared/data

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of the decoder, the normaliser and
# detection, the wordlist loader and the configuration loader, FUZZ_SECONDS each. Crashes land in
# Fuzz/Crashes/ and become regression tests (the suite replays Fuzz/Corpus and Fuzz/Crashes).
FUZZ_SECONDS ?= 60
fuzz: deps
	./scripts/fuzz.sh $(FUZZ_SECONDS)

# The long crash test: 500 SIGKILLs while the archive grows and rotates.
crash-test: deps
	@./scripts/install-deps.sh $(TEST_PACKAGES)
	$(SWIFT) build --build-tests
	CHATWARDEN_CRASH_KILLS=500 $(SWIFT) test --skip-build --filter CrashTests

# Installs the release binary, its manual page, the unit, sysusers and tmpfiles entries, the
# configuration and the wordlists. DESTDIR stages the install; as root without DESTDIR it also
# creates the user and directories and reloads systemd.
install: release
	@mkdir -p .build/man
	$(SWIFT) package --allow-writing-to-directory .build/man generate-manual --output-directory .build/man
	$(MAKE) install-files BIN="$$($(SWIFT) build -c release --show-bin-path)/chatwarden" MAN=.build/man/chatwarden.1

BIN ?= .build/release/chatwarden
MAN ?=
install-files:
	./scripts/install-files.sh "$(BIN)" "$(DESTDIR)" "$(PREFIX)" "$(MAN)"

clean:
	rm -rf .build var
