# Latchkey's container image: the static binary on distroless, as a
# non-root user (README "Running in production").
#
#   docker build -t latchkey .
#   docker run -p 8080:8080 -v latchkey-data:/data \
#     -e LATCHKEY_BASE_URL=https://auth.example.com \
#     -e LATCHKEY_MASTER_KEY_FILE=/run/secrets/latchkey-master-key \
#     latchkey
#
# There is no shell in the image, so no HEALTHCHECK: let the orchestrator
# probe GET /healthz (liveness) and GET /readyz (readiness) on port 8080.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/latchkey ./cmd/latchkey
# The data directory, to be owned by the non-root user (no shell below).
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/latchkey /usr/local/bin/latchkey
# nonroot is uid 65532; /data, its own and mode 0700, is the volume of the
# SQLite database.
COPY --from=build --chown=65532:65532 --chmod=0700 /out/data /data
USER 65532:65532
WORKDIR /data
VOLUME /data
ENV LATCHKEY_ADDR=0.0.0.0:8080 \
    LATCHKEY_DB=/data/latchkey.db \
    LATCHKEY_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/latchkey"]
CMD ["serve"]
