/*
 * nvpmodel: the parsers of nvpmodel's configuration, its status file and
 * its `-q` output (nvpmodel.h). Pure functions of the text they are given:
 * lines are copied into a bounded buffer and split there, so the input need
 * not be NUL-terminated and no line can overrun anything. Callers: the real
 * backend's nvpmodel control (nvpmodel_ctl.c), the unit tests, the fuzz
 * harness.
 */
#include "nvpmodel.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

#define LINE_MAX_BYTES 512 /* the longest real lines are sysfs paths, ~110 bytes */
#define MAX_TOKENS     8

enum section { S_NONE, S_PARAM, S_MODE, S_SKIP };

struct parser {
	struct lv_nvp_conf *c;
	unsigned line_no;
	enum section sec;
	struct lv_nvp_mode *mode; /* S_MODE: the mode being read */
};

static void issue(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counts a malformed line and keeps its description while there is room. */
static void issue(struct parser *p, const char *fmt, ...)
{
	struct lv_nvp_conf *c = p->c;
	c->malformed++;
	if (c->n_issues >= LV_NVP_MAX_ISSUES)
		return;
	struct lv_nvp_issue *is = &c->issues[c->n_issues++];
	is->line = p->line_no;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(is->what, sizeof(is->what), fmt, ap);
	va_end(ap);
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Splits s in place at blanks; at most max tokens (a further one makes it max + 1). */
static size_t split(char *s, char **tok, size_t max)
{
	size_t n = 0;
	while (*s) {
		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		if (n == max)
			return max + 1;
		tok[n++] = s;
		while (*s && !is_blank(*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

/* A decimal id 0..9999, the whole string. */
static int parse_id(const char *s, int *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > 4 || strspn(s, "0123456789") != n)
		return LV_EINVAL;
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	*out = v;
	return 0;
}

/* "KEY=VALUE" among tok[from..n): VALUE, or NULL. */
static const char *attr(char **tok, size_t n, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 1; i < n; i++)
		if (!strncmp(tok[i], key, k) && tok[i][k] == '=')
			return tok[i] + k + 1;
	return NULL;
}

static void mode_header(struct parser *p, char **tok, size_t n)
{
	struct lv_nvp_conf *c = p->c;
	const char *ids = attr(tok, n, "ID"), *name = attr(tok, n, "NAME");
	int id;
	p->sec = S_SKIP; /* until the header is known good */
	if (!ids || parse_id(ids, &id) != 0) {
		issue(p, "POWER_MODEL without an ID from 0 to 9999 (ID=%.20s)", ids ? ids : "");
		return;
	}
	if (!name || !*name || strlen(name) >= LV_NVP_NAME_MAX) {
		issue(p, "POWER_MODEL ID=%d without a NAME of 1 to %d bytes", id,
		      LV_NVP_NAME_MAX - 1);
		return;
	}
	if (lv_nvp_find_id(c, id) || lv_nvp_find_name(c, name)) {
		issue(p, "POWER_MODEL ID=%d NAME=%s repeats an earlier mode's id or name", id,
		      name);
		return;
	}
	if (c->n_modes == LV_NVP_MAX_MODES) {
		issue(p, "more than %d POWER_MODEL sections", LV_NVP_MAX_MODES);
		return;
	}
	struct lv_nvp_mode *m = &c->modes[c->n_modes++];
	*m = (struct lv_nvp_mode){ .id = id };
	snprintf(m->name, sizeof(m->name), "%s", name);
	p->mode = m;
	p->sec = S_MODE;
}

/* "< KIND KEY=VALUE ... >", the '<' and '>' already checked. */
static void header(struct parser *p, char *inner)
{
	char *tok[MAX_TOKENS];
	size_t n = split(inner, tok, MAX_TOKENS);
	p->mode = NULL;
	if (n == 0 || n > MAX_TOKENS) {
		p->sec = S_SKIP;
		issue(p, "a section header with %s", n ? "too many fields" : "no kind");
		return;
	}
	if (!strcmp(tok[0], "POWER_MODEL")) {
		mode_header(p, tok, n);
	} else if (!strcmp(tok[0], "PM_CONFIG")) {
		const char *d = attr(tok, n, "DEFAULT");
		int id;
		p->sec = S_SKIP;
		if (!d || parse_id(d, &id) != 0)
			issue(p, "PM_CONFIG without a DEFAULT mode id (DEFAULT=%.20s)", d ? d : "");
		else
			p->c->default_id = id;
	} else if (!strcmp(tok[0], "PARAM")) {
		p->sec = S_PARAM;
	} else {
		p->sec = S_SKIP; /* FAN_CONFIG and the like: not ours to judge */
	}
}

static void mode_line(struct parser *p, char **tok)
{
	struct lv_nvp_mode *m = p->mode;
	if (!strcmp(tok[0], "GPU") && !strcmp(tok[1], "MAX_FREQ")) {
		unsigned long long hz;
		if (!strcmp(tok[2], "-1")) {
			m->gpu_capped = 0;
			m->gpu_max_hz = 0;
		} else if (lv_parse_u64(tok[2], &hz) == 0 && hz > 0) {
			m->gpu_capped = 1;
			m->gpu_max_hz = hz;
		} else {
			issue(p, "GPU MAX_FREQ '%.24s' of mode %d is neither a clock in Hz nor -1",
			      tok[2], m->id);
		}
	} else if (!strcmp(tok[0], "TPC_POWER_GATING")) {
		if (strlen(tok[2]) >= sizeof(m->tpc_pg))
			issue(p, "TPC_POWER_GATING value of mode %d is too long", m->id);
		else
			snprintf(m->tpc_pg, sizeof(m->tpc_pg), "%s", tok[2]);
	}
}

static void line(struct parser *p, char *s)
{
	while (is_blank(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	if (n == 0 || s[0] == '#')
		return;
	if (s[0] == '<') {
		if (s[n - 1] != '>') {
			p->sec = S_SKIP;
			issue(p, "a section header without its closing '>': '%.40s'", s);
			return;
		}
		s[n - 1] = '\0';
		header(p, s + 1);
		return;
	}
	char copy[48]; /* the line as it was, for messages: split cuts it up */
	snprintf(copy, sizeof(copy), "%.40s", s);
	char *tok[MAX_TOKENS];
	size_t nt = split(s, tok, MAX_TOKENS);
	switch (p->sec) {
	case S_NONE: issue(p, "'%.40s' outside any section", copy); break;
	case S_PARAM:
		if (nt != 2)
			issue(p, "a PARAM line needs ARG_NAME PATH: '%.40s'", copy);
		break;
	case S_MODE:
		if (nt != 3)
			issue(p, "a POWER_MODEL line needs PARAM ARG VALUE: '%.40s'", copy);
		else
			mode_line(p, tok);
		break;
	case S_SKIP: break;
	}
}

int lv_nvp_conf_parse(const char *text, size_t len, struct lv_nvp_conf *out, char **why)
{
	struct parser p = { .c = out, .sec = S_NONE };
	memset(out, 0, sizeof(*out));
	out->default_id = -1;
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		p.line_no++;
		if (n >= LINE_MAX_BYTES) {
			issue(&p, "longer than %d bytes", LINE_MAX_BYTES - 1);
		} else if (memchr(s, '\0', n)) {
			issue(&p, "a NUL byte");
		} else {
			char buf[LINE_MAX_BYTES];
			memcpy(buf, s, n);
			buf[n] = '\0';
			line(&p, buf);
		}
		s = nl ? nl + 1 : end;
	}
	if (out->n_modes == 0) {
		if (out->n_issues > 0)
			return lv_fail(why, LV_EINVAL,
			               "line %u: %s (and no power mode could be read)",
			               out->issues[0].line, out->issues[0].what);
		return lv_fail(why, LV_EINVAL, "no POWER_MODEL section");
	}
	return 0;
}

const struct lv_nvp_mode *lv_nvp_find_id(const struct lv_nvp_conf *c, int id)
{
	for (size_t i = 0; i < c->n_modes; i++)
		if (c->modes[i].id == id)
			return &c->modes[i];
	return NULL;
}

const struct lv_nvp_mode *lv_nvp_find_name(const struct lv_nvp_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_modes; i++)
		if (!strcmp(c->modes[i].name, name))
			return &c->modes[i];
	return NULL;
}

int lv_nvp_needs_reboot(const struct lv_nvp_mode *from, const struct lv_nvp_mode *to)
{
	return strcmp(from->tpc_pg, to->tpc_pg) != 0;
}

int lv_nvp_status_parse(const char *text, size_t len, int *id)
{
	static const char key[] = "pmode:";
	const size_t k = sizeof(key) - 1;
	for (size_t i = 0; i + k <= len; i++) {
		if (memcmp(text + i, key, k) != 0 ||
		    (i > 0 && !is_blank(text[i - 1]) && text[i - 1] != '\n'))
			continue;
		size_t j = i + k, d = 0;
		int v = 0;
		while (j < len && d < 5 && text[j] >= '0' && text[j] <= '9') {
			v = v * 10 + (text[j++] - '0');
			d++;
		}
		if (d == 0 || d > 4 || (j < len && !is_blank(text[j]) && text[j] != '\n'))
			return LV_EINVAL;
		*id = v;
		return 0;
	}
	return LV_EINVAL;
}

int lv_nvp_query_parse(const char *text, size_t len, int *id, char *name, size_t size)
{
	static const char key[] = "NV Power Mode:";
	const size_t k = sizeof(key) - 1;
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		const char *t = s;
		while (t < e && is_blank(*t))
			t++;
		s = nl ? nl + 1 : end;
		if ((size_t)(e - t) < k || memcmp(t, key, k) != 0)
			continue;
		t += k;
		while (t < e && is_blank(*t))
			t++;
		while (e > t && is_blank(e[-1]))
			e--;
		if (e == t || (size_t)(e - t) >= size || memchr(t, '\0', (size_t)(e - t)))
			return LV_EINVAL;
		/* the id: the next line, blanks around it */
		const char *nl2 = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
		const char *a = s, *b = nl2 ? nl2 : end;
		while (a < b && is_blank(*a))
			a++;
		while (b > a && is_blank(b[-1]))
			b--;
		char num[8];
		if (b == a || (size_t)(b - a) >= sizeof(num))
			return LV_EINVAL;
		memcpy(num, a, (size_t)(b - a));
		num[b - a] = '\0';
		if (parse_id(num, id) != 0)
			return LV_EINVAL;
		memcpy(name, t, (size_t)(e - t));
		name[e - t] = '\0';
		return 0;
	}
	return LV_EINVAL;
}
