# meshctl's build and test entry points. `make test` is what CI runs.

GO        ?= go
BIN       ?= bin/meshctl
FUZZTIME  ?= 10s
TESTFLAGS ?=

.PHONY: all build test unit integration fuzz apiserver cluster docs generate lint bench clean

all: build

## build: compile meshctl into bin/meshctl (static: without cgo, kustomize's use of
## the plugin package would export every symbol and double the start-up memory)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o $(BIN) ./cmd/meshctl

## apiserver: build the test etcd and kube-apiserver into .cache/bin (only when missing or outdated)
apiserver:
	bash hack/build-apiserver.sh

## test: everything CI checks: formatting, vet, unit and integration tests against a real API server, brief fuzzing
test: lint apiserver
	$(GO) test -timeout 30m $(TESTFLAGS) ./...
	FUZZTIME=$(FUZZTIME) bash hack/fuzz.sh

## unit: the fast tests only (no API server)
unit:
	$(GO) test -short $(TESTFLAGS) ./...

## integration: all tests including those against the real API server
integration: apiserver
	$(GO) test -timeout 30m $(TESTFLAGS) ./...

## fuzz: run each fuzz target for FUZZTIME
fuzz:
	FUZZTIME=$(FUZZTIME) bash hack/fuzz.sh

## cluster: start a local API server in the foreground and print the KUBECONFIG to export
cluster: apiserver
	$(GO) run ./hack/devcluster

## docs: regenerate the command reference under docs/reference and docs/man
docs:
	$(GO) run ./hack/gendocs

## generate: rerun every code generator (CRDs, docs)
generate:
	$(GO) generate ./...
	$(GO) run ./hack/gendocs

## lint: gofmt and go vet must be clean
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^tools/')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: Go benchmarks (not part of test)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
