/*
 * agent_skim: makes a KServe v2 JSON infer request cheap to parse. A batch
 * of 64 Inception images sent as JSON numbers is 17 million numbers; as
 * cJSON nodes that is about a gigabyte. The emulator only needs to know how
 * many numbers each tensor holds, so this pass copies the text and replaces
 * each array under a "data" key by {"lv_count": N, "lv_numbers": B}; cJSON
 * then parses a few hundred bytes. Called by agent_triton.c.
 *
 * The copy is exact outside those arrays, so cJSON still judges the rest of
 * the syntax. An object under "data" is refused: a client could otherwise
 * claim a count it never sent.
 */
#include "agent.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define MAX_DEPTH 64

struct skim {
	const char *p, *start, *end;
	struct lv_buf out;
	char **why;
};

static int skim_fail(struct skim *s, const char *what)
{
	return lv_fail(s->why, LV_EINVAL, "invalid JSON at byte %zu: %s", (size_t)(s->p - s->start),
	               what);
}

static void ws(struct skim *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Past a string starting at s->p (a '"'). 0 or LV_EINVAL. */
static int skip_string(struct skim *s)
{
	s->p++;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\')
			s->p++;
		s->p++;
	}
	if (s->p >= s->end)
		return skim_fail(s, "unterminated string");
	s->p++;
	return 0;
}

/* Past a JSON number; 0 when one was there. */
static int skip_number(struct skim *s)
{
	const char *q = s->p;
	if (q < s->end && *q == '-')
		q++;
	if (q >= s->end || !isdigit((unsigned char)*q))
		return LV_EINVAL;
	while (q < s->end && isdigit((unsigned char)*q))
		q++;
	if (q < s->end && *q == '.') {
		q++;
		if (q >= s->end || !isdigit((unsigned char)*q))
			return LV_EINVAL;
		while (q < s->end && isdigit((unsigned char)*q))
			q++;
	}
	if (q < s->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < s->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= s->end || !isdigit((unsigned char)*q))
			return LV_EINVAL;
		while (q < s->end && isdigit((unsigned char)*q))
			q++;
	}
	s->p = q;
	return 0;
}

static int skip_literal(struct skim *s)
{
	static const char *const lits[] = { "true", "false", "null" };
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(s->end - s->p) >= n && !memcmp(s->p, lits[i], n)) {
			s->p += n;
			return 0;
		}
	}
	return skim_fail(s, "expected a value");
}

/* Counts the leaves of the array at s->p (nested arrays flattened). */
static int count_array(struct skim *s, int depth, unsigned long long *n, int *numbers)
{
	if (depth > MAX_DEPTH)
		return skim_fail(s, "arrays nested too deeply");
	s->p++; /* '[' */
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		ws(s);
		if (s->p >= s->end)
			return skim_fail(s, "unterminated array");
		char c = *s->p;
		int rc;
		if (c == '[') {
			rc = count_array(s, depth + 1, n, numbers);
		} else if (c == '-' || isdigit((unsigned char)c)) {
			rc = skip_number(s) == 0 ? 0 : skim_fail(s, "bad number");
			++*n;
		} else if (c == '"') {
			rc = skip_string(s);
			++*n;
			*numbers = 0;
		} else if (c == '{') {
			return skim_fail(s, "an object inside tensor data");
		} else {
			rc = skip_literal(s);
			++*n;
			*numbers = 0;
		}
		if (rc != 0)
			return rc;
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		return skim_fail(s, "expected ',' or ']' in tensor data");
	}
}

/*
 * Copies text up to the end, rewriting "data": [...] on the way. The scan
 * only tracks strings (so a "data" inside a string is left alone) and the
 * key position: a string followed by ':'.
 */
static int skim_all(struct skim *s)
{
	const char *copied = s->p;
	while (s->p < s->end) {
		if (*s->p != '"') {
			s->p++;
			continue;
		}
		const char *key = s->p;
		if (skip_string(s) != 0)
			return LV_EINVAL;
		int is_data = s->p - key == 6 && !memcmp(key, "\"data\"", 6);
		const char *after_key = s->p;
		ws(s);
		if (!is_data || s->p >= s->end || *s->p != ':')
			continue;
		s->p++;
		ws(s);
		if (s->p < s->end && *s->p == '{')
			return skim_fail(s, "\"data\" must be an array, not an object");
		if (s->p >= s->end || *s->p != '[')
			continue;
		lv_buf_append(&s->out, copied, (size_t)(after_key - copied));
		unsigned long long n = 0;
		int numbers = 1;
		if (count_array(s, 0, &n, &numbers) != 0)
			return LV_EINVAL;
		lv_buf_printf(&s->out, ":{\"lv_count\":%llu,\"lv_numbers\":%s}", n,
		              numbers ? "true" : "false");
		copied = s->p;
	}
	lv_buf_append(&s->out, copied, (size_t)(s->p - copied));
	return 0;
}

char *lv_skim_tensor_data(const char *text, size_t len, char **why)
{
	struct skim s = { .p = text, .start = text, .end = text + len, .why = why };
	if (skim_all(&s) != 0) {
		lv_buf_fini(&s.out);
		return NULL;
	}
	return lv_buf_take(&s.out, NULL);
}
