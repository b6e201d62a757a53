/*
 * agent_skim: makes a KServe v2 JSON infer request cheap to parse. A batch
 * of 64 Inception images sent as JSON numbers is 17 million numbers; as
 * cJSON nodes that is about a gigabyte. The emulator only needs to know how
 * many numbers each tensor holds, so this pass copies the text and replaces
 * each array under a "data" key by {"lv_skim": i}, the i-th entry of a
 * table of counts; cJSON then parses a few hundred bytes. Called by
 * agent_kserve.c.
 *
 * The copy is exact outside those arrays, so cJSON still judges the rest of
 * the syntax. Soundness — a client must not be able to claim a count it
 * never sent — rests on three things: the counts live in the table, never
 * in the text cJSON reads; a key is compared with "data" as cJSON will
 * decode it (escapes resolved, ended by a NUL as a C string is), so
 * "d\u0061ta" cannot slip an object past; and an object under "data" is
 * refused. (It once compared the raw bytes and wrote the count into the
 * text: a 122-byte request with "d\u0061ta": {"lv_count": 17164992, ...}
 * booked a 64-image batch.)
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
	struct lv_skim_table *t;
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

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Whether the string literal [q, end) (its quotes included) decodes, as
 * cJSON decodes it, to "data": escapes resolved, and ended by a NUL (raw
 * or \u0000) the way cJSON's C string is. A code point beyond ASCII never
 * matches; an escape cJSON would refuse makes the whole text invalid, so
 * its answer does not matter.
 */
static int key_is_data(const char *q, const char *end)
{
	static const char want[] = "data";
	size_t k = 0;
	for (q++, end--; q < end; q++) {
		unsigned c = (unsigned char)*q;
		if (c == '\\' && q + 1 < end) {
			q++;
			switch (*q) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned cp = 0;
				for (int i = 1; i <= 4; i++) {
					int h = q + i < end ? hex_value(q[i]) : -1;
					if (h < 0)
						return 0;
					cp = cp * 16 + (unsigned)h;
				}
				q += 4;
				c = cp < 0x80 ? cp : 0x80; /* 0x80: some byte that is not ASCII */
				break;
			}
			default: c = (unsigned char)*q; break; /* " \ / */
			}
		}
		if (c == 0)
			return k == 4;
		if (k == 4 || c != (unsigned char)want[k])
			return 0;
		k++;
	}
	return k == 4;
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
		const char *after_key = s->p;
		ws(s);
		if (s->p >= s->end || *s->p != ':' || !key_is_data(key, after_key))
			continue;
		s->p++;
		ws(s);
		if (s->p < s->end && *s->p == '{')
			return skim_fail(s, "\"data\" must be an array, not an object");
		if (s->p >= s->end || *s->p != '[')
			continue;
		lv_buf_append(&s->out, copied, (size_t)(after_key - copied));
		struct lv_skim_array arr = { .numbers = 1 };
		if (count_array(s, 0, &arr.count, &arr.numbers) != 0)
			return LV_EINVAL;
		struct lv_skim_table *t = s->t;
		t->v = lv_xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
		t->v[t->n] = arr;
		lv_buf_printf(&s->out, ":{\"lv_skim\":%zu}", t->n);
		t->n++;
		copied = s->p;
	}
	lv_buf_append(&s->out, copied, (size_t)(s->p - copied));
	return 0;
}

char *lv_skim_tensor_data(const char *text, size_t len, struct lv_skim_table *t, size_t *out_len,
                          char **why)
{
	struct skim s = { .p = text, .start = text, .end = text + len, .t = t, .why = why };
	if (skim_all(&s) != 0) {
		lv_buf_fini(&s.out);
		return NULL;
	}
	return lv_buf_take(&s.out, out_len);
}

void lv_skim_table_fini(struct lv_skim_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
