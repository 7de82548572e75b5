# vrrpd in a container, run the way seeds/000 runs keepalived:
#   docker build -t vrrpd .
#   docker run -d --name vrrpd --restart unless-stopped \
#     --net host --cap-add NET_ADMIN --cap-add NET_RAW --cap-add NET_BROADCAST \
#     -v /etc/keepalived/keepalived.conf:/etc/keepalived/keepalived.conf:ro vrrpd
#   docker exec vrrpd vrrpctl status
# Host networking: VRRP adverts, VIPs and gratuitous ARPs live on the host's interfaces.
# The container runtime's restart policy replaces keepalived's parent/child watchdog.

FROM rust:1-bookworm AS build
WORKDIR /src
RUN cargo install cargo-deb --locked
COPY . .
RUN cargo build --release --locked \
 && cargo deb --no-build --output /vrrpd.deb

FROM debian:bookworm-slim
COPY --from=build /vrrpd.deb /tmp/vrrpd.deb
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/vrrpd.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/vrrpd.deb \
 && mkdir -p /run/vrrpd
# -l: the log goes to stderr, which the container runtime collects (no syslog in here).
ENTRYPOINT ["/usr/sbin/vrrpd", "--dont-fork", "--log-console", "-f", "/etc/keepalived/keepalived.conf"]
