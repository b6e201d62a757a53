/*
 * harness: what the libFuzzer harnesses (fuzz_<name>.c) share — a
 * NUL-terminated copy of the input for parsers that take C strings, and a
 * check that aborts (so libFuzzer reports the input) when a parser breaks a
 * promise its header makes. Header-only: every harness is its own program.
 */
#ifndef LV_FUZZ_HARNESS_H
#define LV_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (which may hold NULs of its own). Caller frees. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A copy of exactly `size` bytes, no terminator, for parsers given a length. */
static inline char *fuzz_bytes(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	return s;
}

/* Aborts with `what` when `ok` is false: a broken contract is a finding. */
static inline void fuzz_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz: contract broken: %s\n", what);
		abort();
	}
}

#endif
