# Build and install vrrpd + vrrpctl the way a distribution would lay them out.
#   make && sudo make install          # into /usr/local (PREFIX), DESTDIR respected
#   sudo make uninstall                # removes exactly what install put there
#   make deb                           # target/debian/vrrpd_*.deb (needs cargo-deb)
#   sudo make demo                     # README's first line: ./demo.sh, a live failover
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
DOCDIR     ?= $(DATADIR)/doc/vrrpd
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
# Where the built binaries are (cargo build --release puts them here).
TARGET_DIR ?= target/release
CARGO      ?= cargo
INSTALL    ?= install

FILES = \
	$(BINDIR)/vrrpctl \
	$(SBINDIR)/vrrpd \
	$(UNITDIR)/vrrpd.service \
	$(DOCDIR)/examples/keepalived.conf \
	$(DATADIR)/bash-completion/completions/vrrpctl \
	$(DATADIR)/zsh/vendor-completions/_vrrpctl \
	$(DATADIR)/fish/vendor_completions.d/vrrpctl.fish \
	$(MANDIR)/man8/vrrpd.8 \
	$(MANDIR)/man5/vrrpd.conf.5 \
	$(patsubst man/%,$(MANDIR)/man1/%,$(wildcard man/*.1))

.PHONY: all build install uninstall deb demo

all: build

build:
	$(CARGO) build --release --locked

install:
	@test -x $(TARGET_DIR)/vrrpd -a -x $(TARGET_DIR)/vrrpctl || \
		{ echo "no binaries in $(TARGET_DIR): run make (cargo build --release) first" >&2; exit 2; }
	$(INSTALL) -D -m 755 $(TARGET_DIR)/vrrpctl $(DESTDIR)$(BINDIR)/vrrpctl
	$(INSTALL) -D -m 755 $(TARGET_DIR)/vrrpd $(DESTDIR)$(SBINDIR)/vrrpd
	sed 's|/usr/sbin/vrrpd|$(SBINDIR)/vrrpd|g; s|/etc/default/vrrpd|$(SYSCONFDIR)/default/vrrpd|g' \
		packaging/vrrpd.service > packaging/.vrrpd.service.tmp
	$(INSTALL) -D -m 644 packaging/.vrrpd.service.tmp $(DESTDIR)$(UNITDIR)/vrrpd.service
	rm -f packaging/.vrrpd.service.tmp
	@# The options file is the admin's: never overwritten, and uninstall leaves it.
	test -e $(DESTDIR)$(SYSCONFDIR)/default/vrrpd || \
		$(INSTALL) -D -m 644 packaging/vrrpd.default $(DESTDIR)$(SYSCONFDIR)/default/vrrpd
	$(INSTALL) -D -m 644 packaging/keepalived.conf.example $(DESTDIR)$(DOCDIR)/examples/keepalived.conf
	$(INSTALL) -D -m 644 completions/vrrpctl.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/vrrpctl
	$(INSTALL) -D -m 644 completions/_vrrpctl $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_vrrpctl
	$(INSTALL) -D -m 644 completions/vrrpctl.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/vrrpctl.fish
	$(INSTALL) -D -m 644 man/vrrpd.8 $(DESTDIR)$(MANDIR)/man8/vrrpd.8
	$(INSTALL) -D -m 644 man/vrrpd.conf.5 $(DESTDIR)$(MANDIR)/man5/vrrpd.conf.5
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(FILES))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

deb:
	$(CARGO) deb --locked

demo:
	./demo.sh
