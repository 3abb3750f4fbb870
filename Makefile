GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build test vet fmt-check tidy-check cross-check fuzz bench demo clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/svbatch ./cmd/svbatch

## test: vet, format and tidy checks, all tests with the race detector, short fuzz runs.
test: vet fmt-check tidy-check cross-check
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz

vet:
	$(GO) vet ./...

## cross-check: the code (tests included) builds and vets for Windows and macOS too, without cgo.
cross-check:
	CGO_ENABLED=0 GOOS=windows $(GO) vet ./...
	CGO_ENABLED=0 GOOS=darwin $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum not tidy: run 'go mod tidy'"; exit 1; }

## fuzz: each fuzz target briefly, with its seed corpus. Each runs a fixed number of inputs sized to
## about 5 s on the 2-core machine: a count, not a duration (-fuzztime Ns can fail at the end with
## "context deadline exceeded", a race in Go's fuzzing coordinator). FUZZSCALE multiplies the counts.
FUZZSCALE ?= 1
FUZZ_TARGETS = \
	.:FuzzParseAmount:250000 \
	./batch:FuzzValidateKeys:40 \
	./batch:FuzzCSVRows:80000 \
	./batch:FuzzRequestID:100000 \
	./batch:FuzzTextProblem:60000 \
	./journal:FuzzArrayReader:10000 \
	./sandbox:FuzzDecodeBusiness:60000 \
	./table:FuzzCellText:250000 \
	./table:FuzzCSVRowCount:100000 \
	./table:FuzzNumberFormat:60000 \
	./table:FuzzSheetScanner:5000 \
	./table:FuzzSheetXML:60000
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; f=$${rest%%:*}; n=$${rest#*:}; \
		echo "fuzz $$pkg $$f $$((n * $(FUZZSCALE)))x"; \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$((n * $(FUZZSCALE)))x -fuzzminimizetime 1s $$pkg || exit 1; \
	done
	@missing=$$(for pkg in $$($(GO) list ./...); do for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
		echo " $(FUZZ_TARGETS) " | grep -q ":$$f:" || echo "$$pkg $$f"; done; done); \
	if [ -n "$$missing" ]; then echo "fuzz targets not in FUZZ_TARGETS (add them with a count):"; echo "$$missing"; exit 1; fi

## bench: the speed and memory targets of the issues. Whole-scenario benchmarks (a million rows, a
## paced run, the 1M-row crash and resume, the 20M × 20M partitioned reconcile) run once; the
## per-request ones (signing, the sandbox's req/s) run as long as Go wants. The whole target takes
## about half an hour on the 2-core machine.
SCENARIO_PKGS = ./batch ./table ./dispatch ./cmd/... ./journal ./reconcile ./reports
MICRO_PKGS = ./client ./sandbox
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(MICRO_PKGS)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 90m $(SCENARIO_PKGS)

## demo: the whole job against the embedded sandbox; files under out/demo/.
demo: build
	./bin/svbatch demo

clean:
	rm -rf bin out
