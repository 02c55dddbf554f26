# syntax=docker/dockerfile:1
#
# Kontakt's production image: one static binary (CGO off) built without the embedded dev
# stack (-tags nodev: no in-process Temporal server, PostgreSQL launcher or mail catcher),
# on distroless/static (CA certificates, tzdata, no shell), as an unprivileged user.
# The same image runs each process; the command picks it:
#
#   docker run kontakt serve      # the HTTP API and CardDAV (the default)
#   docker run kontakt worker     # the Temporal worker
#   docker run kontakt migrate    # the one-shot migration job, before a new version starts
#
# deploy/deploy_test.go runs this file's `go build` line and checks the result.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# No `go mod download`: it would fetch the embedded Temporal server's whole module graph,
# which this build leaves out; go build fetches what it links, into the cache mount.
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -tags nodev -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/kontakt ./cmd/kontakt

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kontakt /usr/local/bin/kontakt
# nonroot (65532) by number, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENV KONTAKT_HTTP_ADDR=0.0.0.0:8080 \
    KONTAKT_METRICS_ADDR=0.0.0.0:9090 \
    KONTAKT_LOG_FORMAT=json
# 8080: the API and CardDAV, behind the TLS proxy; 9090: /metrics, /healthz, /readyz for
# the cluster's network only.
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/kontakt"]
CMD ["serve"]
