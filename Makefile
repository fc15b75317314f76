# meshctl's build and test entry points. `make test` is what CI runs.

GO        ?= go
BIN       ?= bin/meshctl
FUZZTIME  ?= 60s
FUZZ      ?= .
TESTFLAGS ?=

.PHONY: all build test unit integration fuzz testbed apiserver cluster docs generate lint bench clean

all: build

## build: compile meshctl into bin/meshctl (static: without cgo, kustomize's use of
## the plugin package would export every symbol and double the start-up memory)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o $(BIN) ./cmd/meshctl

## testbed: build the servers the integration tests start (etcd, kube-apiserver, Istio's istiod)
## into .cache/bin, only when missing or outdated; apiserver is its old name
testbed apiserver:
	bash hack/build-testbed.sh

## test: everything CI checks: formatting, vet, unit and integration tests against a real API
## server, and every fuzz target's seed corpus and committed regression inputs (plain go test
## replays those; no random exploration, so the same commit passes or fails every time)
test: lint testbed
	$(GO) test -timeout 30m $(TESTFLAGS) ./...

## unit: the fast tests only (no API server)
unit:
	$(GO) test -short $(TESTFLAGS) ./...

## integration: all tests including those against the real API server
integration: testbed
	$(GO) test -timeout 30m $(TESTFLAGS) ./...

## fuzz: exploratory fuzzing, not part of test: every target (or those matching FUZZ) for
## FUZZTIME each, e.g. `make fuzz FUZZ=inject FUZZTIME=10m`
fuzz:
	FUZZ='$(FUZZ)' FUZZTIME=$(FUZZTIME) bash hack/fuzz.sh

## cluster: start a local API server in the foreground and print the KUBECONFIG to export;
## ISTIOD=1 also installs the demo profile and runs Istio's istiod against it
cluster: testbed
	$(GO) run ./hack/devcluster $(if $(ISTIOD),-istiod)

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
