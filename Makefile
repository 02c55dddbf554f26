# Kontakt: `make dev` runs everything on embedded defaults, `make test` runs every test.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
STATICCHECK_VERSION := v0.8.2

.PHONY: dev test lint build build-prod image helm bench deps fuzz

deps:
	@bash scripts/deps.sh

dev: deps
	$(GO) run ./cmd/kontakt dev

build:
	$(GO) build -o bin/kontakt ./cmd/kontakt

# build-prod builds what the Dockerfile builds: static, without the embedded dev stack.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
build-prod:
	CGO_ENABLED=0 $(GO) build -tags nodev -trimpath -ldflags="-s -w -X main.version=$(VERSION)" -o bin/kontakt ./cmd/kontakt

# image needs a Docker engine (not on every machine that runs make test).
image:
	docker build --build-arg VERSION=$(VERSION) -t kontakt:$(VERSION) .

# helm builds helm from the Go module proxy into the cache where deploy's tests look for it.
HELM_VERSION := v3.22.0
helm:
	@dir="$${XDG_CACHE_HOME:-$$HOME/.cache}/kontakt-tools/helm-$(HELM_VERSION)"; \
	[ -x "$$dir/helm" ] || GOBIN="$$dir" GOFLAGS=-mod=mod GOWORK=off $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION); \
	echo "$$dir/helm"

test:
	@bash scripts/deps.sh test
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	staticcheck ./...

bench: deps
	$(GO) run ./bench

# fuzz runs each fuzz target for FUZZTIME (their seed corpora run in every make test).
FUZZTIME ?= 30s
fuzz:
	@for t in model:FuzzNormalizePhone model:FuzzNormalizeEmail model:FuzzNormalizeURL model:FuzzNormalizeSocial \
	          model:FuzzValidateCustomFields model:FuzzFoldForSearch api:FuzzCreateContact \
	          carddav:FuzzPutVCard carddav:FuzzDAVXML devstack/mailcatcher:FuzzParse \
	          contactfile:FuzzParseVCards contactfile:FuzzParseCSV; do \
	  pkg=$${t%%:*}; fn=$${t#*:}; \
	  $(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -parallel 2 || exit 1; \
	done
