/*
 * cmdline: the command bar's table of commands, the parser, completion and
 * the line editor (see cmdline.h). The table below is the single list of
 * commands: parsing, completion and the Help view all read it, so a
 * command cannot exist in one and be missing from another.
 *
 * Arguments are typed by the word list they come from; a list the caller
 * left empty accepts any word (a test, or a console with no experiments
 * directory), a non-empty one only its own words.
 */
#include "cmdline.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "sched/policy.h"

enum arg_kind {
	ARG_NONE = 0,
	ARG_VIEW,
	ARG_POLICY,
	ARG_DEVICE,
	ARG_HZ,
	ARG_SPEC,
	ARG_ONOFF,
	ARG_MS,
	ARG_PROF_DEVICE, /* a device, or "stop" */
	ARG_SWEEP,       /* clocks=.. batches=.. requests=.. */
	ARG_FORMAT,      /* csv or json */
	ARG_FILE,        /* a file name: any word */
};

#define MAX_ARGS  4
#define MAX_WORDS 5

struct cmd_def {
	const char *name;
	const char *alias;
	enum lv_cmd_kind kind;
	enum arg_kind args[MAX_ARGS];
	int required;
	struct lv_cmd_help help;
};

static const struct cmd_def defs[] = {
	{ "view",
	  NULL,
	  LV_CMD_VIEW,
	  { ARG_VIEW, ARG_DEVICE },
	  1,
	  { ":view NAME [DEVICE]", "show a view; `:view device nano-00` opens that device" } },
	{ "policy",
	  NULL,
	  LV_CMD_POLICY,
	  { ARG_POLICY },
	  1,
	  { ":policy NAME[:k=v,..]", "switch the running policy (from its next decision)" } },
	{ "pin",
	  NULL,
	  LV_CMD_PIN,
	  { ARG_DEVICE, ARG_HZ },
	  2,
	  { ":pin DEVICE MHZ", "pin a GPU clock in MHz (921.6); the nearest step is taken" } },
	{ "release",
	  NULL,
	  LV_CMD_RELEASE,
	  { ARG_DEVICE },
	  1,
	  { ":release DEVICE", "give the clock back to the policy" } },
	{ "drain",
	  NULL,
	  LV_CMD_DRAIN,
	  { ARG_DEVICE },
	  1,
	  { ":drain DEVICE", "finish in-flight work, take no new batches" } },
	{ "up", NULL, LV_CMD_UP, { ARG_DEVICE }, 1, { ":up DEVICE", "mark a device up again" } },
	{ "experiment",
	  "exp", /* as before :export came */
	  LV_CMD_EXPERIMENT,
	  { ARG_SPEC },
	  1,
	  { ":experiment SPEC", "run experiments/SPEC.json in sim, in the background (attached: "
	                        "on the controller); :experiment stop ends it" } },
	{ "workload",
	  NULL,
	  LV_CMD_WORKLOAD,
	  { ARG_ONOFF },
	  0,
	  { ":workload [on|off]", "the synthetic camera workload (no argument: toggle)" } },
	{ "refresh",
	  NULL,
	  LV_CMD_REFRESH,
	  { ARG_MS },
	  1,
	  { ":refresh MS", "redraw every MS milliseconds (50..10000)" } },
	{ "profile",
	  NULL,
	  LV_CMD_PROFILE,
	  { ARG_PROF_DEVICE, ARG_SWEEP, ARG_SWEEP, ARG_SWEEP },
	  1,
	  { ":profile DEVICE [clocks=all|C,..] [batches=1-4|B,..] [requests=K]",
	    "measure a device over clock x batch (the scheduler leaves it alone meanwhile); "
	    ":profile stop ends it" } },
	{ "export",
	  NULL,
	  LV_CMD_EXPORT,
	  { ARG_FORMAT, ARG_FILE },
	  2,
	  { ":export csv|json FILE",
	    "write the current view's table to FILE (the Log view: its events; other views: the "
	    "devices)" } },
	{ "help",
	  NULL,
	  LV_CMD_HELP,
	  { ARG_NONE },
	  0,
	  { ":help", "every key of the current view" } },
	{ "quit",
	  "q",
	  LV_CMD_QUIT,
	  { ARG_NONE },
	  0,
	  { ":q, :quit, :q!", "leave (asks once if work is in flight; ! does not ask)" } },
};

#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

const struct lv_cmd_help *lv_cmd_help_at(size_t i)
{
	return i < N_DEFS ? &defs[i].help : NULL;
}

static int failf(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failf(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why && len)
		vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return LV_EINVAL;
}

/* Splits line into at most max words (in place, in buf). Returns the count, or -1 if too many. */
static int split(const char *line, char *buf, size_t cap, char **words, int max)
{
	snprintf(buf, cap, "%s", line);
	int n = 0;
	for (char *p = buf; *p;) {
		while (*p && isspace((unsigned char)*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return -1;
		words[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	return n;
}

/* The command named `w` exactly, by alias, or by a unique prefix; NULL otherwise. */
static const struct cmd_def *find_def(const char *w, int *ambiguous)
{
	const struct cmd_def *hit = NULL;
	size_t len = strlen(w);
	int n = 0;
	*ambiguous = 0;
	for (size_t i = 0; i < N_DEFS; i++) {
		if (!strcmp(defs[i].name, w) || (defs[i].alias && !strcmp(defs[i].alias, w)))
			return &defs[i];
		if (len && !strncmp(defs[i].name, w, len)) {
			hit = &defs[i];
			n++;
		}
	}
	*ambiguous = n > 1;
	return n == 1 ? hit : NULL;
}

static void list_of(const struct lv_cmd_words *w, enum arg_kind k, const char *const **list,
                    size_t *n)
{
	static const char *const onoff[] = { "on", "off", "toggle" };
	static const char *const sweep[] = { "clocks=", "batches=", "requests=" };
	static const char *const formats[] = { "csv", "json" };
	*list = NULL;
	*n = 0;
	switch (k) {
	case ARG_VIEW: *list = w->views, *n = w->n_views; break;
	case ARG_POLICY: *list = w->policies, *n = w->n_policies; break;
	case ARG_DEVICE:
	case ARG_PROF_DEVICE: *list = w->devices, *n = w->n_devices; break;
	case ARG_SPEC: *list = w->experiments, *n = w->n_experiments; break;
	case ARG_ONOFF: *list = onoff, *n = 3; break;
	case ARG_SWEEP: *list = sweep, *n = 3; break;
	case ARG_FORMAT: *list = formats, *n = 2; break;
	default: break;
	}
}

static int in_list(const char *const *list, size_t n, const char *word, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && !strncmp(list[i], word, len))
			return 1;
	return 0;
}

int lv_cmd_parse_hz(const char *s, uint64_t *hz)
{
	char num[64];
	size_t n = strspn(s, "0123456789.");
	if (n == 0 || n >= sizeof(num))
		return LV_EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	double scale;
	const char *unit = s + n;
	if (!*unit) /* a bare number: MHz as operators say it, unless it is plainly Hz */
		scale = strtod(num, NULL) < 1e5 ? 1e6 : 1;
	else if (!strcasecmp(unit, "hz"))
		scale = 1;
	else if (!strcasecmp(unit, "m") || !strcasecmp(unit, "mhz"))
		scale = 1e6;
	else if (!strcasecmp(unit, "g") || !strcasecmp(unit, "ghz"))
		scale = 1e9;
	else
		return LV_EINVAL;
	double v;
	if (lv_parse_double(num, &v) != LV_OK || !(v > 0) || v * scale > 1e12)
		return LV_EINVAL;
	*hz = (uint64_t)llround(v * scale);
	return *hz ? LV_OK : LV_EINVAL;
}

char *lv_cmd_mhz(char *buf, size_t len, uint64_t hz)
{
	snprintf(buf, len, "%.6g MHz", (double)hz / 1e6);
	return buf;
}

/* "76.8 153.6 ... 921.6 MHz" into buf. */
static void list_mhz(char *buf, size_t len, const uint64_t *freqs_hz, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%.6g", i ? " " : "",
		                 (double)freqs_hz[i] / 1e6);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used + 1 < len)
		snprintf(buf + used, len - used, " MHz");
}

int lv_cmd_clock_resolve(const char *text, const uint64_t *freqs_hz, size_t n, uint64_t *hz,
                         char *note, size_t note_len, char *why, size_t why_len)
{
	char valid[160], a[32], b[32];
	uint64_t v = 0;
	if (note && note_len)
		note[0] = '\0';
	list_mhz(valid, sizeof(valid), freqs_hz, n);
	if (n == 0)
		return failf(why, why_len, "no clocks known for this device");
	if (lv_cmd_parse_hz(text, &v) != LV_OK)
		return failf(why, why_len,
		             "'%s' is not a clock: give MHz (921.6 or 921.6MHz); valid: %s", text,
		             valid);
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (llabs((long long)freqs_hz[i] - (long long)v) <
		    llabs((long long)freqs_hz[best] - (long long)v))
			best = i;
	/* Half a step beyond either end is still that end; further is a mistake. */
	uint64_t lo_gap = n > 1 ? freqs_hz[1] - freqs_hz[0] : freqs_hz[0] / 10;
	uint64_t hi_gap = n > 1 ? freqs_hz[n - 1] - freqs_hz[n - 2] : freqs_hz[0] / 10;
	if ((double)v < (double)freqs_hz[0] - lo_gap / 2.0 ||
	    (double)v > (double)freqs_hz[n - 1] + hi_gap / 2.0)
		return failf(why, why_len, "%s is outside this device's clocks: %s",
		             lv_cmd_mhz(a, sizeof(a), v), valid);
	*hz = freqs_hz[best];
	if (v != *hz && note && note_len)
		snprintf(note, note_len, "%s -> %s, the nearest step", lv_cmd_mhz(a, sizeof(a), v),
		         lv_cmd_mhz(b, sizeof(b), *hz));
	return LV_OK;
}

/* "1-8" or "1,2,4": ascending, distinct, 1..512. */
static int parse_batches(const char *v, struct lv_cmd_sweep *sw)
{
	long lo = 0, hi = 0;
	int used = 0;
	sw->n_batches = 0;
	if (sscanf(v, "%ld-%ld%n", &lo, &hi, &used) == 2 && !v[used]) {
		if (lo < 1 || hi < lo || hi > 512 || hi - lo + 1 > LV_CMD_SWEEP_BATCHES)
			return LV_EINVAL;
		for (long b = lo; b <= hi; b++)
			sw->batches[sw->n_batches++] = (int)b;
		return LV_OK;
	}
	char buf[LV_LINE_MAX], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long b = 0;
		if (lv_parse_long(t, &b) != LV_OK || b < 1 || b > 512 ||
		    sw->n_batches == LV_CMD_SWEEP_BATCHES ||
		    (sw->n_batches && b <= sw->batches[sw->n_batches - 1]))
			return LV_EINVAL;
		sw->batches[sw->n_batches++] = (int)b;
	}
	return sw->n_batches ? LV_OK : LV_EINVAL;
}

/* "all" or clocks as :pin takes them, comma-separated. */
static int parse_clocks(const char *v, struct lv_cmd_sweep *sw)
{
	sw->n_clocks = 0;
	if (!strcmp(v, "all"))
		return LV_OK;
	char buf[LV_LINE_MAX], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (sw->n_clocks == LV_CMD_SWEEP_CLOCKS ||
		    lv_cmd_parse_hz(t, &sw->clocks_hz[sw->n_clocks]) != LV_OK)
			return LV_EINVAL;
		sw->n_clocks++;
	}
	return sw->n_clocks ? LV_OK : LV_EINVAL;
}

static int parse_sweep(const struct cmd_def *d, const char *word, struct lv_cmd_sweep *sw,
                       char *why, size_t why_len)
{
	const char *eq = strchr(word, '=');
	size_t klen = eq ? (size_t)(eq - word) : 0;
	const char *v = eq ? eq + 1 : "";
	if (klen == 6 && !strncmp(word, "clocks", 6)) {
		if (parse_clocks(v, sw) != LV_OK)
			return failf(why, why_len,
			             "%s: clocks=%s: want all, or clocks like 768MHz,921.6MHz",
			             d->name, v);
	} else if (klen == 7 && !strncmp(word, "batches", 7)) {
		if (parse_batches(v, sw) != LV_OK)
			return failf(why, why_len,
			             "%s: batches=%s: want a range like 1-8 or ascending sizes "
			             "like 1,2,4",
			             d->name, v);
	} else if (klen == 8 && !strncmp(word, "requests", 8)) {
		if (lv_parse_long(v, &sw->requests) != LV_OK || sw->requests < 1 ||
		    sw->requests > 1000)
			return failf(why, why_len, "%s: requests=%s: want 1..1000", d->name, v);
	} else {
		return failf(why, why_len, "%s: '%s': want clocks=..., batches=... or requests=...",
		             d->name, word);
	}
	return LV_OK;
}

static int parse_arg(const struct cmd_def *d, int i, const char *word, const struct lv_cmd_words *w,
                     struct lv_cmd *out, char *why, size_t why_len)
{
	const char *const *list;
	size_t n;
	enum arg_kind k = d->args[i];
	if (k == ARG_SWEEP) {
		if (out->sweep.stop)
			return failf(why, why_len, "usage: :profile stop");
		return parse_sweep(d, word, &out->sweep, why, why_len);
	}
	if (k == ARG_PROF_DEVICE && !strcmp(word, "stop")) {
		out->sweep.stop = 1;
		return LV_OK;
	}
	if (k == ARG_SPEC && !strcmp(word, "stop")) { /* as x in the Experiments view */
		out->kind = LV_CMD_EXP_CANCEL;
		return LV_OK;
	}
	list_of(w, k, &list, &n);
	size_t len = k == ARG_POLICY ? strcspn(word, ":") : strlen(word);
	if (n && !in_list(list, n, word, len)) {
		static const char *const what[] = { "",
			                            "a view",
			                            "a policy",
			                            "a device",
			                            "",
			                            "an experiment spec",
			                            "on or off",
			                            "",
			                            "a device or stop",
			                            "",
			                            "csv or json",
			                            "" };
		return failf(why, why_len, "%s: '%.*s' is not %s", d->name, (int)len, word,
		             what[k]);
	}
	switch (k) {
	case ARG_VIEW: snprintf(out->view, sizeof(out->view), "%s", word); break;
	case ARG_DEVICE:
	case ARG_PROF_DEVICE: snprintf(out->device, sizeof(out->device), "%s", word); break;
	case ARG_POLICY:
	case ARG_SPEC: snprintf(out->arg, sizeof(out->arg), "%s", word); break;
	case ARG_HZ:
		snprintf(out->arg, sizeof(out->arg), "%s", word); /* as typed, for messages */
		if (lv_cmd_parse_hz(word, &out->hz) != LV_OK)
			return failf(why, why_len,
			             "%s: '%s' is not a clock (MHz: 921.6 or 921.6MHz)", d->name,
			             word);
		break;
	case ARG_FORMAT: out->json = !strcmp(word, "json"); break;
	case ARG_FILE: snprintf(out->arg, sizeof(out->arg), "%s", word); break;
	case ARG_ONOFF: out->on = !strcmp(word, "on") ? 1 : !strcmp(word, "off") ? 0 : -1; break;
	case ARG_MS:
		if (lv_parse_long(word, &out->ms) != LV_OK || out->ms < 50 || out->ms > 10000)
			return failf(why, why_len, "%s: '%s' is not a number of ms in 50..10000",
			             d->name, word);
		break;
	default: break;
	}
	return LV_OK;
}

int lv_cmd_parse(const char *line, const struct lv_cmd_words *w, struct lv_cmd *out, char *why,
                 size_t why_len)
{
	char buf[LV_LINE_MAX];
	char *words[MAX_WORDS];
	memset(out, 0, sizeof(*out));
	out->on = -1;
	int n = split(line, buf, sizeof(buf), words, MAX_WORDS);
	if (n == 0)
		return LV_OK; /* an empty line does nothing */
	if (n < 0)
		return failf(why, why_len, "too many words");
	int force = 0;
	size_t l0 = strlen(words[0]);
	if (l0 > 1 && words[0][l0 - 1] == '!') {
		words[0][l0 - 1] = '\0';
		force = 1;
	}
	int amb;
	const struct cmd_def *d = find_def(words[0], &amb);
	if (!d)
		return failf(why, why_len, "%s: %s command (:help lists them)", words[0],
		             amb ? "ambiguous" : "unknown");
	int max = 0;
	while (max < MAX_ARGS && d->args[max] != ARG_NONE)
		max++;
	if (n - 1 < d->required || n - 1 > max)
		return failf(why, why_len, "usage: %s", d->help.usage);
	out->kind = d->kind;
	out->force = force;
	for (int i = 0; i + 1 < n; i++)
		if (parse_arg(d, i, words[i + 1], w, out, why, why_len) != LV_OK)
			return LV_EINVAL;
	return LV_OK;
}

/* Adds candidate c (if it starts with prefix) to the hint and the common prefix. */
static void candidate(const char *c, const char *prefix, size_t *count, char *common,
                      size_t common_cap, char *hint, size_t hint_len)
{
	if (strncmp(c, prefix, strlen(prefix)))
		return;
	if ((*count)++ == 0) {
		snprintf(common, common_cap, "%s", c);
	} else {
		size_t i = 0;
		while (common[i] && common[i] == c[i])
			i++;
		common[i] = '\0';
	}
	size_t used = strlen(hint);
	if (hint_len > used + 1)
		snprintf(hint + used, hint_len - used, "%s%s", used ? " " : "", c);
}

/*
 * The candidates for the word `prefix` at argument kind k that are not in a
 * plain list: a policy's parameters after "name:" (or ","), and a device's
 * clocks after `:pin DEVICE`. Returns 1 when it handled the word.
 */
static int complete_special(enum arg_kind k, char *const *words, int at, const char *prefix,
                            const struct lv_cmd_words *w, size_t *count, char *common,
                            size_t common_cap, char *hint, size_t hint_len)
{
	char cand[LV_LINE_MAX];
	if (k == ARG_POLICY && strchr(prefix, ':')) {
		size_t nl = strcspn(prefix, ":");
		const char *sep = strrchr(prefix, ',');
		size_t keep =
		    (size_t)((sep ? sep : prefix + nl) - prefix) + 1; /* up to ':' or ',' */
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)nl, prefix);
		const struct lv_policy_ops *ops = lv_policy_find(name);
		char full[LV_LINE_MAX] = ""; /* the whole words; the hint lists the parameters */
		for (size_t i = 0; ops && i < ops->n_params; i++) {
			snprintf(cand, sizeof(cand), "%.*s%s=", (int)keep, prefix,
			         ops->params[i].name);
			size_t before = *count, used = strlen(hint);
			candidate(cand, prefix, count, common, common_cap, full, sizeof(full));
			if (*count > before && hint_len > used + 1)
				snprintf(hint + used, hint_len - used, "%s%s=", used ? " " : "",
				         ops->params[i].name);
		}
		return 1;
	}
	if (k == ARG_HZ && at >= 2 && w->device_freqs) {
		for (size_t d = 0; d < w->n_devices; d++) {
			if (strcmp(w->devices[d], words[1]))
				continue;
			for (size_t i = 0; w->device_freqs[d] && i < w->device_n_freqs[d]; i++) {
				snprintf(cand, sizeof(cand), "%.6g",
				         (double)w->device_freqs[d][i] / 1e6);
				candidate(cand, prefix, count, common, common_cap, hint, hint_len);
			}
		}
		return 1;
	}
	return 0;
}

size_t lv_cmd_complete(char *line, size_t cap, const struct lv_cmd_words *w, char *hint,
                       size_t hint_len)
{
	char buf[LV_LINE_MAX];
	char *words[MAX_WORDS + 1];
	char common[LV_LINE_MAX] = "";
	size_t count = 0;
	if (hint_len)
		hint[0] = '\0';
	int n = split(line, buf, sizeof(buf), words, MAX_WORDS + 1);
	size_t len = strlen(line);
	int fresh = len == 0 || isspace((unsigned char)line[len - 1]); /* completing a new word */
	if (n < 0)
		return 0;
	int at = fresh ? n : n - 1; /* index of the word being completed */
	const char *prefix = fresh ? "" : words[n - 1];
	if (at == 0) {
		for (size_t i = 0; i < N_DEFS; i++)
			candidate(defs[i].name, prefix, &count, common, sizeof(common), hint,
			          hint_len);
	} else {
		int amb;
		const struct cmd_def *d = find_def(words[0], &amb);
		if (!d || at - 1 >= MAX_ARGS || d->args[at - 1] == ARG_NONE)
			return 0;
		const char *const *list;
		size_t nl;
		if (complete_special(d->args[at - 1], words, at, prefix, w, &count, common,
		                     sizeof(common), hint, hint_len))
			goto done;
		list_of(w, d->args[at - 1], &list, &nl);
		for (size_t i = 0; i < nl; i++)
			candidate(list[i], prefix, &count, common, sizeof(common), hint, hint_len);
		if (d->args[at - 1] == ARG_PROF_DEVICE || d->args[at - 1] == ARG_SPEC)
			candidate("stop", prefix, &count, common, sizeof(common), hint, hint_len);
	}
done:
	if (count == 0)
		return 0;
	/* Replace the word being completed with the common prefix (+ a space when unique,
	 * unless it wants a value: "clocks="). */
	size_t keep = len - strlen(prefix), cl = strlen(common);
	int space = count == 1 && !(cl && common[cl - 1] == '=');
	snprintf(line + keep, cap > keep ? cap - keep : 0, "%s%s", common, space ? " " : "");
	return count;
}

void lv_line_set(struct lv_line *l, const char *text)
{
	snprintf(l->buf, sizeof(l->buf), "%s", text ? text : "");
	l->len = l->cur = strlen(l->buf);
}

int lv_line_edit(struct lv_line *l, enum lv_edit_op op, int c)
{
	size_t start;
	switch (op) {
	case LV_EDIT_INSERT:
		if (c < 0x20 || c > 0x7e || l->len + 1 >= sizeof(l->buf))
			return 0;
		memmove(l->buf + l->cur + 1, l->buf + l->cur, l->len - l->cur + 1);
		l->buf[l->cur++] = (char)c;
		l->len++;
		return 1;
	case LV_EDIT_BACKSPACE:
		if (l->cur == 0)
			return 0;
		memmove(l->buf + l->cur - 1, l->buf + l->cur, l->len - l->cur + 1);
		l->cur--;
		l->len--;
		return 1;
	case LV_EDIT_DELETE:
		if (l->cur == l->len)
			return 0;
		memmove(l->buf + l->cur, l->buf + l->cur + 1, l->len - l->cur);
		l->len--;
		return 1;
	case LV_EDIT_LEFT: l->cur -= l->cur > 0; return 0;
	case LV_EDIT_RIGHT: l->cur += l->cur < l->len; return 0;
	case LV_EDIT_HOME: l->cur = 0; return 0;
	case LV_EDIT_END: l->cur = l->len; return 0;
	case LV_EDIT_KILL: lv_line_set(l, ""); return 1;
	case LV_EDIT_WORD:
		start = l->cur;
		while (start > 0 && l->buf[start - 1] == ' ')
			start--;
		while (start > 0 && l->buf[start - 1] != ' ')
			start--;
		if (start == l->cur)
			return 0;
		memmove(l->buf + start, l->buf + l->cur, l->len - l->cur + 1);
		l->len -= l->cur - start;
		l->cur = start;
		return 1;
	}
	return 0;
}
