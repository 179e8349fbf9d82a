# partcopy's Makefile. The README's two commands are `make run` and `make test`.
GO ?= go
BIN := bin/partcopy
PKGS := ./...
# Servers the real-server conformance runs use (see deploy/).
REAL_SERVERS ?= minio versitygw moto rgw

.PHONY: all build run test unit htmlcheck kubectl lint golangci-lint realservers expectations compat clients bench fuzz clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/partcopy

# The main job: conformance + a short load against the embedded endpoint.
run: build
	./$(BIN) run --out partcopy-report

# Tools the Makefile installs itself through the Go toolchain, pinned, in
# the cache deploy/servers.sh uses.
CACHE := $(abspath $(or $(PARTCOPY_CACHE),$(or $(XDG_CACHE_HOME),$(or $(HOME),$(CURDIR))/.cache)/partcopy))
GOLANGCI_LINT_VERSION := 2.15.0
GOLANGCI_LINT := $(CACHE)/tools/golangci-lint

# gofmt, go vet, go.mod tidy, then golangci-lint (.golangci.yml). govulncheck
# is left out: its vulnerability database (vuln.go.dev) is not reachable from
# where this runs, and lint must not depend on the network.
lint: golangci-lint
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	cd internal/clients/drivers/go && GOWORK=off $(GO) vet ./...
	$(GO) mod tidy -diff
	$(GOLANGCI_LINT) run $(PKGS)

# The pinned golangci-lint, reused when the cached binary is that version.
golangci-lint:
	@$(GOLANGCI_LINT) version 2>/dev/null | grep -q 'version $(GOLANGCI_LINT_VERSION) ' || { \
	  echo "installing golangci-lint v$(GOLANGCI_LINT_VERSION) in $(CACHE)/tools"; \
	  mkdir -p $(CACHE)/tools && \
	  GOBIN=$(CACHE)/tools $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$(GOLANGCI_LINT_VERSION); }

# The deploy/k8s manifest tests run `kubectl kustomize`: install kubectl
# (Debian's kubernetes-client) when it is missing.
kubectl:
	@command -v kubectl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y kubernetes-client || { apt-get update && apt-get install -y kubernetes-client; }; \
	  else echo "kubectl is missing and this is not root: run 'sudo apt-get install -y kubernetes-client' (needed by the deploy/k8s tests)"; exit 1; fi; }

# Unit tests and the whole suite against the embedded endpoint.
# Then the timing-model tests once more without the race detector, which
# switches off their upper bounds: every test that reads raceEnabled (see
# load/norace_test.go).
TIMING_TESTS := -run '^(TestStallPercentiles|TestCapacityFindsAKnownCapacity)$$' ./load/
unit: kubectl
	$(GO) test -race -count=1 -timeout 30m $(PKGS)
	$(GO) test -count=1 -timeout 10m $(TIMING_TESTS)

# partcopy conform against MinIO, versitygw, moto and Ceph RGW (installed, started and
# cleaned up by deploy/), both profiles; fails when a verdict changes.
realservers:
	bash deploy/conform-real.sh check $(REAL_SERVERS)

# conformance.html as a browser builds it: headless Chromium loads a failing
# report, checks the list of clauses that need attention and its links, the
# collapsed exchanges and the printed length, and saves a screenshot in
# bin/artifacts/. Debian's chromium is installed when missing.
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)
htmlcheck:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null || { echo "htmlcheck: apt-get install chromium failed"; exit 1; }; \
	  else echo "htmlcheck: chromium is missing: run 'sudo apt-get install -y chromium' (or set CHROMIUM=/path/to/chromium)"; exit 1; fi; \
	fi
	PARTCOPY_CHROMIUM=$$(command -v chromium || command -v chromium-browser || echo "$(CHROMIUM)") \
	  PARTCOPY_ARTIFACTS=$(CURDIR)/bin/artifacts $(GO) test -count=1 -run 'TestConformanceHTMLInChromium' -v ./reports/

# Everything: lint, unit tests, the HTML check, then the real servers.
test: lint unit htmlcheck realservers

# Rewrite testdata/expected/ from a fresh run (then confirm every reason).
expectations:
	bash deploy/conform-real.sh update $(REAL_SERVERS)

# docs/compatibility.md from the checked expectations.
compat: build
	./$(BIN) report matrix testdata/expected/*.json --out docs/compatibility.md

# docs/clients.md: the built-in client drivers (aws-sdk-go-v2, minio-go, boto3,
# @aws-sdk/client-s3) against every response form of the fault proxy. The SDKs'
# own findings do not fail it (--gate=false); internal/clients' tests check
# the matrix against the recorded one.
clients: build
	./$(BIN) clients --out build/clients --doc docs/clients.md --gate=false

# Go benchmarks, then partcopy's generator next to wrk, vegeta and a bare
# net/http + SDK-signer loop (CPU time per request; see load/README.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	bash load/bench/generators.sh

# Every Fuzz* target of every package, FUZZTIME each (go test fuzzes one
# target per run).
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf bin build partcopy-report
