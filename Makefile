# LoudVA — non-recursive build.
#
#   make            build bin: build/loudva
#   make run        build and run the main job on the embedded default
#   make agent      build/agent/loudva-agent alone, with only its packages (make agent-deps)
#                   and without XGBoost (no predictor: --mode prof only)
#   make test       install missing Debian packages, build with ASan+UBSan, run every test
#   make bench      build optimised and print benchmark figures
#   make check-style / check-deps / install / uninstall / clean
#
# V=1 shows full commands. The release build honours CFLAGS, CPPFLAGS and
# LDFLAGS (as a distribution passes them) and hardens by default: fortify,
# the strong stack protector, PIE, full RELRO (HARDEN= turns that off).
# `make install PREFIX=/usr DESTDIR=...` lays out bin/, share/loudva/ (the
# data), man pages, bash completion and the systemd units; the programs find
# the data there (core/base/datapath.h), so build with the PREFIX you install to.

# Every core, unless the caller chose (make -jN wins): `make test` builds three
# trees (release, sanitizers, fuzzers) before it runs anything.
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Debian packages the build and the tests need. `make deps` installs the
# missing ones (with sudo when not root). Keep in step with the README.
DEB_PKGS := gcc make pkg-config libcjson-dev libxgboost-dev libsqlite3-dev libcmocka-dev \
	    libmicrohttpd-dev libcurl4-openssl-dev libssh-dev libyaml-dev libpcre2-dev libturbojpeg0-dev \
	    libpng-dev libncurses-dev gnuplot-nox jq tmux curl sqlite3 openssh-server openssh-client
DEB_PKGS += wrk python3 openssl
DEB_PKGS += clang libclang-rt-14-dev
DEB_PKGS += man-db bash-completion libsystemd-dev systemd prometheus
DEB_PKGS += zlib1g-dev
DEB_PKGS += ansible-lint yamllint sudo ansible-core

# The agent alone (`make agent`, `make agent-deps`): what a Jetson needs to
# build loudva-agent and nothing of the controller's (no XGBoost: `make agent`
# builds without the predictor). The names are Ubuntu's per JetPack release
# (VERSION_ID of /etc/os-release: JetPack 4 is 18.04, JetPack 5 is 20.04,
# JetPack 6 is 22.04) and Debian's otherwise; see agents/README.md for which
# names were checked against which release. After installing, agent-deps asks
# pkg-config for every library (and its oldest version) and stops, naming what
# is missing and the release's hint, before anything is compiled.
AGENT_PKGS := libcjson libmicrohttpd zlib libturbojpeg
# The oldest each library may be, for what the agent's code uses:
# cJSON_ParseWithLengthOpts (cJSON 1.7.13), enum MHD_Result (libmicrohttpd
# 0.9.71), tjGetErrorStr2 and TJFLAG_STOPONWARNING (libjpeg-turbo 2.0).
AGENT_PKG_MIN := libcjson:1.7.13 libmicrohttpd:0.9.71 libturbojpeg:2.0
AGENT_DEB_PKGS := gcc make pkg-config libcjson-dev libmicrohttpd-dev zlib1g-dev libturbojpeg0-dev
# Ubuntu 18.04 and 20.04 were released before cJSON 1.7.13 and libmicrohttpd
# 0.9.71 (18.04 has no cJSON package at all, and a libjpeg-turbo before 2.0):
# those libraries are built from their source releases into a prefix of the
# agent's own (AGENT_LIB_PREFIX below; playbooks/agent.yml does it from the
# tarballs it is given), so their packages stay off these lists and the tools
# and headers their builds need (CMake; GnuTLS for libmicrohttpd's HTTPS) are on.
AGENT_LIB_BUILD_PKGS := cmake libgnutls28-dev
AGENT_DEB_PKGS_18.04 := $(filter-out libcjson-dev libmicrohttpd-dev libturbojpeg0-dev,$(AGENT_DEB_PKGS)) \
	$(AGENT_LIB_BUILD_PKGS)
AGENT_DEB_PKGS_20.04 := $(filter-out libcjson-dev libmicrohttpd-dev,$(AGENT_DEB_PKGS)) $(AGENT_LIB_BUILD_PKGS)
AGENT_DEB_PKGS_22.04 := $(AGENT_DEB_PKGS)
AGENT_DEPS_BY_SOURCE := build them from their source releases into a prefix and run make agent \
	AGENT_LIB_PREFIX=DIR (playbooks/agent.yml does so from the tarballs in loudva_agent_libs; \
	agents/README.md, Building it on a Jetson)
AGENT_DEPS_HINT_18.04 := Ubuntu 18.04 (JetPack 4) has no cJSON package, and too old a libmicrohttpd \
	and libjpeg-turbo: $(AGENT_DEPS_BY_SOURCE)
AGENT_DEPS_HINT_20.04 := Ubuntu 20.04 (JetPack 5) has too old a cJSON and libmicrohttpd: \
	$(AGENT_DEPS_BY_SOURCE)
# AGENT_LIB_PREFIX=DIR: libraries installed under DIR (DIR/lib/pkgconfig)
# come before the system's, and the agent finds them there when it runs
# (DT_RUNPATH), with no ldconfig and no LD_LIBRARY_PATH in its unit.
AGENT_LIB_PREFIX ?=
AGENT_PKG_CONFIG = $(if $(AGENT_LIB_PREFIX),PKG_CONFIG_PATH=$(AGENT_LIB_PREFIX)/lib/pkgconfig$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH} )pkg-config
AGENT_RPATH = $(if $(AGENT_LIB_PREFIX),-Wl$(comma)-rpath$(comma)$(AGENT_LIB_PREFIX)/lib)
comma := ,
OS_VERSION_ID := $(shell . /etc/os-release 2>/dev/null && echo "$$VERSION_ID")
AGENT_DEB_PKGS_HERE = $(sort $(or $(AGENT_DEB_PKGS_$(OS_VERSION_ID)),$(AGENT_DEB_PKGS)) \
	$(if $(AGENT_LIB_PREFIX),$(AGENT_LIB_BUILD_PKGS)))
AGENT_DEPS_HINT_HERE := $(AGENT_DEPS_HINT_$(OS_VERSION_ID))

PKGS := libcjson xgboost sqlite3 libmicrohttpd libcurl libssh yaml-0.1 libpcre2-8 libturbojpeg libpng ncursesw zlib
TEST_PKGS := cmocka
# Only `loudva` (console/service.c: sd_notify) links libsystemd.
CONSOLE_PKGS := libsystemd

CC ?= cc
ifeq ($(CC),cc)
CC := gcc
endif
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/loudva
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
BUILD := build

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wformat=2 -Wno-format-nonliteral
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -MMD -MP -Icore -Iviews
# ncursesw's .pc adds -D_XOPEN_SOURCE=600, which would clash with files that pick their own.
PKG_CFLAGS = $(filter-out -D_XOPEN_SOURCE=%,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CONSOLE_PKG_LIBS = $(shell pkg-config --libs $(CONSOLE_PKGS) 2>/dev/null)
TEST_PKG_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_PKG_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

# CFLAGS, CPPFLAGS and LDFLAGS are the packager's; the defaults are ours.
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
HARDEN ?= 1
ifeq ($(HARDEN),1)
# fortify needs optimisation, and a packager's own _FORTIFY_SOURCE wins
HARDEN_CPPFLAGS = $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS))$(findstring -O0,$(CFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDEN_CFLAGS := -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
endif
REL_CFLAGS = $(HARDEN_CPPFLAGS) $(CPPFLAGS) $(HARDEN_CFLAGS) $(CFLAGS)
REL_LDFLAGS = $(HARDEN_CFLAGS) $(CFLAGS) $(HARDEN_LDFLAGS) $(LDFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
TST_CFLAGS := -O1 -g $(SAN_FLAGS)
LIBS_EXTRA := -lm -lpthread

# The predictor's files that use XGBoost, and what stands in for them in the
# agent built alone (core/model/predictor_none.c, compiled by no other build).
PREDICTOR_XGB_SRC := $(addprefix core/model/,predictor.c predictor_cache.c predictor_eval.c predictor_io.c)
PREDICTOR_NONE_SRC := core/model/predictor_none.c
CORE_SRC := $(filter-out $(PREDICTOR_NONE_SRC),$(sort $(wildcard core/*/*.c)))
CONSOLE_SRC := $(sort $(wildcard console/*.c))
VIEWS_SRC := $(sort $(wildcard views/*.c))
AGENT_SRC := $(sort $(wildcard agents/*.c))
# The agent's modules without its main(), linked into the unit tests of its backends.
AGENT_LIB_SRC := $(filter-out agents/agent_main.c,$(AGENT_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))

# Release objects in build/rel, sanitizer objects in build/san.
rel_obj = $(patsubst %.c,$(BUILD)/rel/%.o,$(1))
san_obj = $(patsubst %.c,$(BUILD)/san/%.o,$(1))

# One archive per layer of core/ (ARCHITECTURE.md), in link order: each
# layer before the layers it uses.
LAYERS := harness front live exp store sim sched model deploy base
REL_CORE_LIB := $(foreach l,$(LAYERS),$(BUILD)/rel/libloudva-$(l).a)
SAN_CORE_LIB := $(foreach l,$(LAYERS),$(BUILD)/san/libloudva-$(l).a)
REL_VIEWS_LIB := $(BUILD)/rel/libloudva-views.a
SAN_VIEWS_LIB := $(BUILD)/san/libloudva-views.a
SAN_AGENT_LIB := $(BUILD)/san/libloudva-agent.a
LOUDVA := $(BUILD)/loudva
LOUDVA_SAN := $(BUILD)/san/loudva
AGENT := $(BUILD)/loudva-agent
AGENT_SAN := $(BUILD)/san/loudva-agent
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(UNIT_SRC))
BENCH_BIN := $(BUILD)/rel/loudva-bench

.PHONY: all run test bench deps agent agent-deps agent-deps-list agent-deps-packages check-style check-deps install uninstall clean test-build fuzz
.SECONDARY:

all: $(LOUDVA) $(if $(AGENT_SRC),$(AGENT))

# ---- dependencies ---------------------------------------------------------
DEPS_STAMP := $(BUILD)/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	$(Q)missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || \
	    { echo "error: could not install:$$missing" >&2; exit 1; }; \
	fi
	$(Q)mkdir -p $(BUILD) && touch $@

AGENT_DEPS_STAMP := $(BUILD)/.agent-deps-ok
agent-deps: $(AGENT_DEPS_STAMP)
# The list agent-deps installs from on this release (tests/install/test_agent_build.sh).
agent-deps-list:
	@echo $(AGENT_DEB_PKGS_HERE)
# The release's packages alone, without asking pkg-config for the libraries:
# what building the libraries of AGENT_LIB_PREFIX needs first (agent.yml).
agent-deps-packages:
	$(Q)missing=""; for p in $(AGENT_DEB_PKGS_HERE); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing the agent's Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || \
	    { echo "error: could not install:$$missing" >&2; exit 1; }; \
	fi
$(AGENT_DEPS_STAMP): Makefile
	$(Q)$(MAKE) --no-print-directory agent-deps-packages
	$(Q)missing=""; for m in $(AGENT_PKGS); do \
	  min=""; for mv in $(AGENT_PKG_MIN); do [ "$${mv%%:*}" != "$$m" ] || min=$${mv#*:}; done; \
	  if ! $(AGENT_PKG_CONFIG) --exists $$m; then missing="$$missing, $$m$${min:+ >= $$min}"; \
	  elif [ -n "$$min" ] && ! $(AGENT_PKG_CONFIG) --atleast-version=$$min $$m; then \
	    missing="$$missing, $$m >= $$min (it has $$($(AGENT_PKG_CONFIG) --modversion $$m))"; \
	  fi; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "error: pkg-config finds no $${missing#, }: loudva-agent needs them" >&2; \
	  hint='$(AGENT_DEPS_HINT_HERE)'; [ -z "$$hint" ] || echo "  $$hint" >&2; \
	  exit 1; \
	fi
	$(Q)mkdir -p $(BUILD) && touch $@

# ---- release build --------------------------------------------------------
$(BUILD)/rel/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# $(call layer_lib,rel|san,LAYER): the archive of one core/ folder.
define layer_lib
$(BUILD)/$(1)/libloudva-$(2).a: $$(call $(1)_obj,$$(filter $$(CORE_SRC),$$(sort $$(wildcard core/$(2)/*.c))))
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_lib,rel,$(l)))$(eval $(call layer_lib,san,$(l))))

$(REL_VIEWS_LIB): $(call rel_obj,$(VIEWS_SRC))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# The data directory the programs were built for (the search path's last
# entry): rebuilt when it changes.
DATADIR_STAMP := $(BUILD)/datadir-$(subst /,_,$(DATADIR))
$(DATADIR_STAMP):
	@mkdir -p $(BUILD) && rm -f $(BUILD)/datadir-* && touch $@
$(BUILD)/rel/core/base/datapath.o $(BUILD)/san/core/base/datapath.o \
	$(BUILD)/agent/core/base/datapath.o: $(DATADIR_STAMP)
$(BUILD)/rel/core/base/datapath.o $(BUILD)/san/core/base/datapath.o \
	$(BUILD)/agent/core/base/datapath.o: \
	BASE_CFLAGS += -DLV_DATADIR='"$(DATADIR)"'

$(LOUDVA): $(call rel_obj,$(CONSOLE_SRC)) $(REL_VIEWS_LIB) $(REL_CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(REL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CONSOLE_PKG_LIBS) $(LIBS_EXTRA)

$(AGENT): $(call rel_obj,$(AGENT_SRC)) $(REL_CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(REL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LIBS_EXTRA)

# ---- the agent alone (a Jetson) ---------------------------------------------
# Its sources and the three layers below it (ARCHITECTURE.md), compiled with
# its own libraries' flags only, in build/agent/. Without XGBoost, which the
# Ubuntu of JetPack 4 and 5 does not package: predictor_none.c stands in for
# the predictor, so the emulated backend runs from measured profiles alone
# (--mode prof; fill and pred are refused at start-up).
AGENT_ONLY_SRC := $(AGENT_SRC) $(filter-out $(PREDICTOR_XGB_SRC),$(sort \
	$(wildcard core/base/*.c core/model/*.c core/sched/*.c)))
AGENT_ONLY := $(BUILD)/agent/loudva-agent
AGENT_PKG_CFLAGS = $(shell $(AGENT_PKG_CONFIG) --cflags $(AGENT_PKGS) 2>/dev/null)
AGENT_PKG_LIBS = $(shell $(AGENT_PKG_CONFIG) --libs $(AGENT_PKGS) 2>/dev/null) $(AGENT_RPATH)
agent: $(AGENT_ONLY)
$(BUILD)/agent/%.o: %.c | $(AGENT_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC agent $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(AGENT_PKG_CFLAGS) -c $< -o $@
$(AGENT_ONLY): $(patsubst %.c,$(BUILD)/agent/%.o,$(AGENT_ONLY_SRC))
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(REL_LDFLAGS) -o $@ $^ $(AGENT_PKG_LIBS) $(LIBS_EXTRA)

# ---- sanitizer (test) build -----------------------------------------------
$(BUILD)/san/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC san  $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(TST_CFLAGS) $(PKG_CFLAGS) $(TEST_PKG_CFLAGS) -c $< -o $@

$(SAN_AGENT_LIB): $(call san_obj,$(AGENT_LIB_SRC))
	@$(if $(Q),echo "  AR san  $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(SAN_VIEWS_LIB): $(call san_obj,$(VIEWS_SRC))
	@$(if $(Q),echo "  AR san  $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LOUDVA_SAN): $(call san_obj,$(CONSOLE_SRC)) $(SAN_VIEWS_LIB) $(SAN_CORE_LIB)
	@$(if $(Q),echo "  LD san  $@")
	$(Q)$(CC) $(TST_CFLAGS) -o $@ $^ $(PKG_LIBS) $(CONSOLE_PKG_LIBS) $(LIBS_EXTRA)

$(AGENT_SAN): $(call san_obj,$(AGENT_SRC)) $(SAN_CORE_LIB)
	@$(if $(Q),echo "  LD san  $@")
	$(Q)$(CC) $(TST_CFLAGS) -o $@ $^ $(PKG_LIBS) $(LIBS_EXTRA)

$(BUILD)/san/tests/unit/%.o: BASE_CFLAGS += -Iagents

$(BUILD)/san/tests/%: $(BUILD)/san/tests/unit/%.o $(BUILD)/san/tests/unit/testutil.o $(SAN_VIEWS_LIB) $(SAN_AGENT_LIB) $(SAN_CORE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD san  $@")
	$(Q)$(CC) $(TST_CFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_PKG_LIBS) $(LIBS_EXTRA)

test-build: $(LOUDVA_SAN) $(UNIT_BINS) $(LOUDVA) $(if $(AGENT_SRC),$(AGENT_SAN) $(AGENT))

test: test-build check-deps
	$(Q)LOUDVA=$(LOUDVA_SAN) LOUDVA_REL=$(LOUDVA) LOUDVA_AGENT=$(AGENT_SAN) \
	  LOUDVA_AGENT_REL=$(AGENT) BUILD=$(BUILD) tests/run.sh

# ---- run ------------------------------------------------------------------
run: $(LOUDVA)
	$(Q)./$(LOUDVA)

# ---- benchmarks -----------------------------------------------------------
$(BENCH_BIN): $(call rel_obj,$(BENCH_SRC)) $(REL_VIEWS_LIB) $(REL_CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(REL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LIBS_EXTRA)

bench: $(BENCH_BIN) $(LOUDVA) $(if $(AGENT_SRC),$(AGENT))
	$(Q)LOUDVA_BENCH=$(BENCH_BIN) LOUDVA_REL=$(LOUDVA) LOUDVA_AGENT_REL=$(AGENT) tests/bench/run.sh

# ---- checks ---------------------------------------------------------------
check-style:
	$(Q)command -v clang-format >/dev/null || { echo "clang-format not installed" >&2; exit 1; }
	$(Q)bad=0; for f in core/*/*.[ch] console/*.[ch] views/*.[ch] agents/*.[ch] tests/unit/*.[ch] tests/bench/*.c; do \
	  [ -e "$$f" ] || continue; \
	  clang-format --dry-run --Werror "$$f" 2>/dev/null || { echo "style: $$f"; bad=1; }; \
	done; exit $$bad

# The layers' rules (ARCHITECTURE.md): what each folder may include, the
# scheduling library linking with libc and libm alone, no cycles between
# object files.
check-deps: all $(REL_CORE_LIB) $(REL_VIEWS_LIB)
	$(Q)tests/deps/check_deps.sh $(BUILD)

# ---- install --------------------------------------------------------------
# What a Debian package would hold: the programs, the data they search for
# (core/base/datapath.h), man pages, bash completion, the systemd units (their
# paths rewritten to BINDIR) and the controller's configuration (never
# overwritten). `make uninstall` removes exactly these.
DATA_FILES := $(sort $(wildcard profiles/*.json profiles/README.md profiles/clusters/*.json \
	model_repository/*/config.pbtxt model_repository/*/*/model.py playbooks/*.yml playbooks/*.ini playbooks/README.md \
	playbooks/templates/*.j2 experiments/*.json experiments/README.md experiments/traces/*.csv))
MAN1 := dist/man/loudva.1
MAN8 := dist/man/loudva-agent.8
COMPLETIONS := dist/bash-completion/loudva dist/bash-completion/loudva-agent
UNITS := $(wildcard agents/loudva-agent.service dist/systemd/*.service)
CONF_FILES := $(wildcard dist/etc/*.conf)
unit_subst = sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/loudva/|$(SYSCONFDIR)/loudva/|g' \
	-e 's|/usr/local/share/loudva|$(DATADIR)|g'

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(LOUDVA) $(DESTDIR)$(BINDIR)/loudva
	$(if $(AGENT_SRC),install -m 0755 $(AGENT) $(DESTDIR)$(BINDIR)/loudva-agent)
	$(Q)for f in $(DATA_FILES); do \
	  install -D -m 0644 "$$f" "$(DESTDIR)$(DATADIR)/$$f" || exit 1; \
	done
	install -D -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/loudva.1
	install -D -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/loudva-agent.8
	$(Q)for f in $(COMPLETIONS); do \
	  install -D -m 0644 "$$f" "$(DESTDIR)$(BASHCOMPDIR)/$$(basename $$f)" || exit 1; \
	done
	$(Q)install -d $(DESTDIR)$(SYSTEMDUNITDIR) && for f in $(UNITS); do \
	  $(unit_subst) "$$f" >"$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$f)" && \
	  chmod 0644 "$(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$f)" || exit 1; \
	done
	$(Q)for f in $(CONF_FILES); do \
	  t="$(DESTDIR)$(SYSCONFDIR)/loudva/$$(basename $$f)"; \
	  [ -e "$$t" ] && { echo "kept $$t"; continue; }; \
	  install -d "$$(dirname $$t)" && $(unit_subst) "$$f" >"$$t" && chmod 0644 "$$t" || exit 1; \
	done

# The configuration stays if it was changed (as dpkg keeps a conffile).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/loudva $(DESTDIR)$(BINDIR)/loudva-agent
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(MANDIR)/man1/loudva.1 $(DESTDIR)$(MANDIR)/man8/loudva-agent.8
	rm -f $(foreach f,$(COMPLETIONS),$(DESTDIR)$(BASHCOMPDIR)/$(notdir $(f)))
	rm -f $(foreach f,$(UNITS),$(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(f)))
	$(Q)for f in $(CONF_FILES); do \
	  t="$(DESTDIR)$(SYSCONFDIR)/loudva/$$(basename $$f)"; \
	  [ -e "$$t" ] || continue; \
	  if $(unit_subst) "$$f" | cmp -s - "$$t"; then rm -f "$$t"; else echo "kept $$t (changed)"; fi; \
	done
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/loudva 2>/dev/null || true
# In a staging DESTDIR, the directories install made go too when empty.
	$(Q)if [ -n "$(DESTDIR)" ]; then \
	  for d in $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man8 $(BASHCOMPDIR) $(SYSTEMDUNITDIR) \
	           $(SYSCONFDIR)/loudva $(dir $(DATADIR)); do \
	    p="$(DESTDIR)$$d"; p="$${p%/}"; \
	    while [ "$$p" != "$(DESTDIR)" ] && [ "$$p" != "$${p%/*}" ]; do \
	      [ ! -e "$$p" ] || rmdir "$$p" 2>/dev/null || break; \
	      p="$${p%/*}"; \
	    done; \
	  done; \
	fi

clean:
	rm -rf $(BUILD)

# Absent where only the agent's sources are unpacked (playbooks/agent.yml).
-include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
