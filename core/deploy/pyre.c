/*
 * pyre: Python's `re` over PCRE2 (contracts in pyre.h). Compiled patterns are
 * read-only and may be shared between threads; every search makes its own
 * match data.
 *
 * Replacement templates follow Python 3.7+: \1..\99 and \g<N> or \g<name>
 * insert a group (empty when the group did not take part), \n \t \r \f \v \a
 * \b and \\ are escapes, \0 and three octal digits are octal, an unknown
 * escape of an ASCII letter is an error, any other escaped character keeps
 * its backslash. Empty matches next to a previous match are replaced too, as
 * re.sub has done since Python 3.7 (re.sub('x*', '-', 'abxd') is '-a-b--d-').
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "pyre.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct lv_pyre {
	pcre2_code *code;
	char *text;       /* the pattern as written, for messages */
	uint32_t n_group; /* capture groups, not counting group 0 */
};

/* Python spellings PCRE2 reads differently: \Z -> \z, \uXXXX and \UXXXXXXXX -> \x{...}. */
static char *translate(const char *p)
{
	struct lv_buf b = { 0 };
	while (*p) {
		if (p[0] != '\\' || !p[1]) {
			lv_buf_append(&b, p++, 1);
			continue;
		}
		size_t hex = p[1] == 'u' ? 4 : p[1] == 'U' ? 8 : 0;
		size_t k = 0;
		while (hex && k < hex && isxdigit((unsigned char)p[2 + k]))
			k++;
		if (p[1] == 'Z') {
			lv_buf_append(&b, "\\z", 2);
			p += 2;
		} else if (hex && k == hex) {
			lv_buf_printf(&b, "\\x{%.*s}", (int)hex, p + 2);
			p += 2 + hex;
		} else {
			lv_buf_append(&b, p, 2);
			p += 2;
		}
	}
	lv_buf_append(&b, "", 1);
	return lv_buf_take(&b, NULL);
}

struct lv_pyre *lv_pyre_new(const char *pattern, unsigned flags, char **why)
{
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	if (flags & LV_PYRE_ICASE)
		opts |= PCRE2_CASELESS;
	if (flags & LV_PYRE_MULTILINE)
		opts |= PCRE2_MULTILINE;
	char *pcre = translate(pattern);
	int err = 0;
	PCRE2_SIZE at = 0;
	pcre2_code *code =
	    pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED, opts, &err, &at, NULL);
	free(pcre);
	if (!code) {
		PCRE2_UCHAR msg[256];
		if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
			strcpy((char *)msg, "invalid");
		lv_fail(why, LV_EINVAL, "regular expression '%s': %s at offset %zu", pattern,
		        (const char *)msg, (size_t)at);
		return NULL;
	}
	struct lv_pyre *re = lv_xcalloc(1, sizeof *re);
	re->code = code;
	re->text = lv_xstrdup(pattern);
	pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &re->n_group);
	return re;
}

void lv_pyre_free(struct lv_pyre *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->text);
	free(re);
}

long lv_pyre_group(const struct lv_pyre *re, const char *name)
{
	long n = -1;
	if (name[0] && strspn(name, "0123456789") == strlen(name))
		n = strlen(name) < 6 ? strtol(name, NULL, 10) : -1;
	else if (name[0])
		n = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
	return n >= 0 && n <= (long)re->n_group ? n : -1;
}

const char *lv_pyre_text(const struct lv_pyre *re)
{
	return re->text;
}

/* One match from `from` with PCRE2 `opts`: >0 matched, 0 not, <0 error (treated as no match). */
static int match_at(const struct lv_pyre *re, const char *s, size_t len, size_t from, uint32_t opts,
                    pcre2_match_data *md)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, from, opts, md, NULL);
	return rc > 0 ? 1 : 0;
}

bool lv_pyre_search(const struct lv_pyre *re, const char *s, size_t len, bool anchored,
                    size_t *start, size_t *end, long **groups, size_t *n_groups)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	bool hit = match_at(re, s, len, 0, anchored ? PCRE2_ANCHORED : 0, md) > 0;
	if (hit) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (start)
			*start = ov[0];
		if (end)
			*end = ov[1];
		if (groups) {
			size_t n = 2 * ((size_t)re->n_group + 1);
			uint32_t have = pcre2_get_ovector_count(md);
			*groups = lv_xcalloc(n, sizeof **groups);
			for (size_t i = 0; i < n; i++)
				(*groups)[i] =
				    i / 2 < have && ov[i] != PCRE2_UNSET ? (long)ov[i] : -1;
			if (n_groups)
				*n_groups = re->n_group;
		}
	}
	pcre2_match_data_free(md);
	return hit;
}

/* Appends group `g` of the match (nothing when it did not take part). */
static void put_group(struct lv_buf *b, const char *s, const PCRE2_SIZE *ov, uint32_t n_ov,
                      uint32_t g)
{
	if (!ov || g >= n_ov || ov[2 * g] == PCRE2_UNSET)
		return;
	lv_buf_append(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

static int bad_template(const struct lv_pyre *re, const char *repl, char **why, const char *what,
                        const char *at, size_t n)
{
	return lv_fail(why, LV_EINVAL, "regex_replace '%s' -> '%s': %s '%.*s'", re->text, repl,
	               what, (int)n, at);
}

/*
 * Expands the template `repl` for one match into `b` (ov NULL: only checks
 * it). 0, or LV_EINVAL with *why.
 */
static int expand(const struct lv_pyre *re, const char *repl, const char *s, const PCRE2_SIZE *ov,
                  uint32_t n_ov, struct lv_buf *b, char **why)
{
	static const char esc_from[] = "ntrfvab\\", esc_to[] = "\n\t\r\f\v\a\b\\";
	for (const char *p = repl; *p;) {
		if (*p != '\\' || !p[1]) {
			lv_buf_append(b, p++, 1);
			continue;
		}
		const char *e = p + 1;
		const char *k = strchr(esc_from, *e);
		if (k && *e) {
			lv_buf_append(b, &esc_to[k - esc_from], 1);
			p = e + 1;
		} else if (*e == 'g') {
			if (e[1] != '<' || !strchr(e + 2, '>'))
				return bad_template(re, repl, why, "missing < or > in", p, 3);
			const char *name = e + 2, *close = strchr(name, '>');
			char *nm = lv_xasprintf("%.*s", (int)(close - name), name);
			long num = lv_pyre_group(re, nm);
			free(nm);
			if (num < 0)
				return bad_template(re, repl, why, "no such group", p,
				                    (size_t)(close + 1 - p));
			put_group(b, s, ov, n_ov, (uint32_t)num);
			p = close + 1;
		} else if (*e == '0' || (e[0] >= '0' && e[0] <= '7' && e[1] >= '0' && e[1] <= '7' &&
		                         e[2] >= '0' && e[2] <= '7')) {
			int v = 0, d = 0;
			while (d < 3 && e[d] >= '0' && e[d] <= '7')
				v = v * 8 + (e[d++] - '0');
			char c = (char)v;
			lv_buf_append(b, &c, 1);
			p = e + d;
		} else if (isdigit((unsigned char)*e)) {
			int g = *e - '0', d = 1;
			if (isdigit((unsigned char)e[1]))
				g = g * 10 + (e[d++] - '0');
			if ((uint32_t)g > re->n_group)
				return bad_template(re, repl, why, "no such group", p,
				                    (size_t)d + 1);
			put_group(b, s, ov, n_ov, (uint32_t)g);
			p = e + d;
		} else if (isalpha((unsigned char)*e) && (unsigned char)*e < 0x80) {
			return bad_template(re, repl, why, "bad escape", p, 2);
		} else {
			lv_buf_append(b, p, 2);
			p += 2;
		}
	}
	return 0;
}

int lv_pyre_check_repl(const struct lv_pyre *re, const char *repl, char **why)
{
	struct lv_buf b = { 0 };
	int rc = expand(re, repl, NULL, NULL, 0, &b, why);
	lv_buf_fini(&b);
	return rc;
}

int lv_pyre_sub(const struct lv_pyre *re, const char *s, const char *repl, long count, char **out,
                char **why)
{
	*out = NULL;
	size_t len = strlen(s), pos = 0, copied = 0;
	long done = 0;
	bool last_empty = false;
	struct lv_buf b = { 0 };
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	uint32_t n_ov = pcre2_get_ovector_count(md);
	int rc = 0;
	while (pos <= len && (count <= 0 || done < count)) {
		uint32_t opts = last_empty ? PCRE2_NOTEMPTY_ATSTART : 0;
		if (!match_at(re, s, len, pos, opts, md))
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		lv_buf_append(&b, s + copied, ov[0] - copied);
		rc = expand(re, repl, s, ov, n_ov, &b, why);
		if (rc)
			break;
		done++;
		copied = ov[1];
		last_empty = ov[0] == ov[1];
		pos = ov[1];
	}
	pcre2_match_data_free(md);
	if (rc) {
		lv_buf_fini(&b);
		return rc;
	}
	lv_buf_append(&b, s + copied, len - copied);
	lv_buf_append(&b, "", 1);
	*out = lv_buf_take(&b, NULL);
	return 0;
}
