# One image with the three closebridge processes (and the demo receiver).
#   docker build -t closebridge .
#   docker run closebridge closebridge-ingest --help
# The build stage runs the same scripts as CI (deploy/install-deps.sh, deploy/build.sh), so CI
# keeps these steps working on every change.

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY deploy/install-deps.sh deploy/install-deps.sh
RUN deploy/install-deps.sh build
COPY . .
RUN deploy/build.sh /build -DCB_TESTS=OFF

FROM debian:bookworm-slim
COPY deploy/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin closebridge \
    && mkdir -p /var/lib/closebridge-console && chown 10001 /var/lib/closebridge-console
# the console's index (a view of the topics: losing it loses nothing); a volume mounted here
# takes this directory's owner
VOLUME /var/lib/closebridge-console
COPY --from=build /build/closebridge-ingest /build/closebridge-publish \
     /build/closebridge-console /build/closebridge-demo-receiver /usr/local/bin/
USER 10001
# ingest listens on 8080, publish on 8081 (health and metrics), the console on 8082, the demo
# receiver on 9000.
EXPOSE 8080 8081 8082
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${CLOSEBRIDGE_HTTP_PORT:-8080}/healthz" || exit 1
CMD ["closebridge-ingest"]
