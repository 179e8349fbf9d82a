# partcopy's Makefile. The README's two commands are `make run` and `make test`.
GO ?= go
BIN := bin/partcopy
PKGS := ./...

.PHONY: all build run test unit lint bench clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/partcopy

# The main job: conformance + a short load against the embedded endpoint.
run: build
	./$(BIN) run --out partcopy-report

lint:
	@out=$$(gofmt -l . ); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Unit and suite tests against the embedded endpoint.
unit:
	$(GO) test -race -count=1 $(PKGS)

# Everything: lint, unit tests, then the real servers.
test: lint unit

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin partcopy-report
