# tests/fuzz/fuzz.mk: libFuzzer harnesses for the parsers of untrusted input
# (included by the Makefile; see tests/fuzz/README.md).
#
# Every tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput and becomes
# $(BUILD)/fuzz/fuzz_<name>, linked with clang against the core and agent
# objects built again by clang, with coverage and sanitizers, in
# $(BUILD)/fuzz/obj (never mixed with gcc's objects of build/san). Its seed
# corpus is tests/fuzz/corpus/<name>/.
#
#   make fuzz-build          the harnesses
#   make fuzz                each harness for FUZZ_SECONDS [60] in turn; new
#                            inputs kept in $(BUILD)/fuzz/corpus/<name>,
#                            crashes in $(BUILD)/fuzz/artifacts/<name>
#   FUZZ=name make fuzz      one harness only
#
# The short run of `make test` is tests/fuzz/test_fuzz.sh.
#
# The flags are the Makefile's, but a warning only clang gives does not stop
# the fuzz build: gcc's -Werror build is the gate for warnings.

FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(FUZZ_SAN) -Wno-error
FUZZ_SECONDS ?= 60
FUZZ ?=

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
fuzz_obj = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))
# All of core/ and the agent's modules in one archive: the linker takes what
# a harness uses, in any order, since the members of one archive may refer
# to each other.
FUZZ_LIB := $(BUILD)/fuzz/libloudva-fuzz.a

$(BUILD)/fuzz/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC fuzz $<")
	$(Q)$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/tests/fuzz/%.o: BASE_CFLAGS += -Iagents

$(FUZZ_LIB): $(call fuzz_obj,$(CORE_SRC) $(AGENT_LIB_SRC))
	@$(if $(Q),echo "  AR fuzz $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	@$(if $(Q),echo "  LD fuzz $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) $(LIBS_EXTRA)

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)BUILD=$(BUILD) tests/fuzz/run_fuzz.sh --seconds $(FUZZ_SECONDS) \
	  --keep $(BUILD)/fuzz $(or $(FUZZ),$(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC)))
