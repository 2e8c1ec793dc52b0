# majordomo: `make run` starts the broker with its defaults, `make test` runs
# the whole suite. Both install what is missing first.

GO          ?= go
STATICCHECK_VERSION := v0.8.2
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
FUZZTIME    ?= 60s

.PHONY: all deps build run test lint fmt-check vet staticcheck verify-systemd status-screenshot unit fuzz bench clean soak-titanic soak-tiers kv-catchup

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(GO) build -o bin/ ./cmd/...

run: build
	./bin/mdbroker

test: deps fmt-check vet staticcheck verify-systemd unit status-screenshot

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

# Every test with the race detector, then again on one OS thread
# (GOMAXPROCS=1), where goroutines interleave differently.
unit:
	$(GO) test -race -count=1 -timeout 8m ./...
	GOMAXPROCS=1 $(GO) test -race -count=1 -timeout 8m ./...

fuzz: deps
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./mdp
	$(GO) test -run '^$$' -fuzz '^FuzzBroker$$' -fuzztime $(FUZZTIME) ./broker
	$(GO) test -run '^$$' -fuzz '^FuzzACLParse$$' -fuzztime $(FUZZTIME) ./broker
	$(GO) test -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime $(FUZZTIME) ./kv
	$(GO) test -run '^$$' -fuzz '^FuzzParseReplies$$' -fuzztime $(FUZZTIME) ./kv
	$(GO) test -run '^$$' -fuzz '^FuzzProtocol$$' -fuzztime $(FUZZTIME) ./titanic

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin

# mdbroker's status page in headless Chromium, where chromium exists (it is
# not in install-deps.sh: too heavy for every CI run).
status-screenshot:
	@bash scripts/status-screenshot.sh

# contrib/systemd/mdbroker.service, where systemd-analyze exists.
verify-systemd:
	@bash scripts/verify-systemd.sh

# Long crash runs, outside `make test`: kill -9 of Titanic five times during
# 20,000 submissions (every 200 answered, each run once at the worker).
soak-titanic: deps
	TITANIC_SOAK_SUBMISSIONS=20000 TITANIC_SOAK_KILLS=5 $(GO) test -race -count=1 -timeout 20m -run TestKill9 -v ./titanic/

# Kill -9 of the active worker of an exclusive service 100 times under 32
# clients: nothing lost, no two workers ever running requests at once.
soak-tiers: deps
	BROKER_SOAK=1 BROKER_SOAK_CYCLES=100 $(GO) test -race -count=1 -timeout 20m -run TestExclusiveSoak -v ./broker/

# An mdkv node down for 100,000 writes catches up through a snapshot: logs
# the catch-up time (no -race: it measures).
kv-catchup: deps
	MDKV_CATCHUP=1 $(GO) test -count=1 -timeout 20m -run TestCatchUpAfterManyWrites -v ./kv/
