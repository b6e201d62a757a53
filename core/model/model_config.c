/*
 * model_config: a recursive-descent reader of the protobuf text format,
 * just deep enough for Triton's config.pbtxt. A tokenizer yields
 * identifiers, numbers, strings and punctuation with their line; the parser
 * walks `field: value` / `field { message }` / `field: [ ... ]` and hands each
 * field to the handler of the message it is in (model, tensor, instance
 * group), which takes what it knows and skips the rest. Called by the agent
 * at start-up; nothing here is on a hot path. lv_model_info_load, at the end,
 * narrows a configuration to the input description the controller and the
 * front end use (one FP32 HWC input, one output).
 */
#include "model_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

#define MAX_DEPTH 32

enum tok_kind { T_EOF, T_IDENT, T_NUMBER, T_STRING, T_PUNCT };

struct lexer {
	const char *p;
	const char *origin;
	int line;
	enum tok_kind kind;
	char text[LV_MC_NAME_MAX]; /* the token (a string's contents, unescaped simply) */
	int tok_line;
	char **why;
};

static int lex_fail(struct lexer *lx, const char *what)
{
	return lv_fail(lx->why, LV_EINVAL, "%s:%d: %s", lx->origin, lx->tok_line, what);
}

static void skip_space(struct lexer *lx)
{
	for (;;) {
		while (isspace((unsigned char)*lx->p)) {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (*lx->p != '#')
			return;
		while (*lx->p && *lx->p != '\n')
			lx->p++;
	}
}

static int lex_string(struct lexer *lx)
{
	char q = *lx->p++;
	size_t n = 0;
	while (*lx->p && *lx->p != q && *lx->p != '\n') {
		if (*lx->p == '\\' && lx->p[1])
			lx->p++;
		if (n + 1 < sizeof(lx->text))
			lx->text[n++] = *lx->p;
		lx->p++;
	}
	lx->text[n] = '\0';
	if (*lx->p != q)
		return lex_fail(lx, "unterminated string");
	lx->p++;
	lx->kind = T_STRING;
	return 0;
}

/* Reads the next token into lx. 0 or LV_EINVAL. */
static int lex_next(struct lexer *lx)
{
	skip_space(lx);
	lx->tok_line = lx->line;
	const char *s = lx->p;
	if (!*s) {
		lx->kind = T_EOF;
		lx->text[0] = '\0';
		return 0;
	}
	if (*s == '"' || *s == '\'')
		return lex_string(lx);
	if (strchr("{}[]:,;<>", *s)) {
		lx->kind = T_PUNCT;
		lx->text[0] = *s;
		lx->text[1] = '\0';
		lx->p++;
		return 0;
	}
	size_t n = 0;
	if (isalpha((unsigned char)*s) || *s == '_') {
		while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.')
			n++;
		lx->kind = T_IDENT;
	} else if (isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.') {
		n = 1;
		while (isalnum((unsigned char)s[n]) || s[n] == '.' || s[n] == '-' || s[n] == '+')
			n++;
		lx->kind = T_NUMBER;
	} else {
		return lex_fail(lx, "unexpected character");
	}
	if (n >= sizeof(lx->text))
		return lex_fail(lx, "token too long");
	memcpy(lx->text, s, n);
	lx->text[n] = '\0';
	lx->p += n;
	return 0;
}

static int is_punct(const struct lexer *lx, char c)
{
	return lx->kind == T_PUNCT && lx->text[0] == c;
}

/*
 * A message handler sees each field of its message. For a scalar value
 * `scalar` is the token; for a message value it is NULL and the handler sets
 * *sub to the handler of that message (left as is, the message is skipped).
 */
struct handler;
typedef int (*field_fn)(struct lexer *lx, void *obj, const char *field, const char *scalar,
                        struct handler *sub);
struct handler {
	field_fn fn;
	void *obj;
};

static int skip_fn(struct lexer *lx, void *obj, const char *field, const char *scalar,
                   struct handler *sub)
{
	(void)lx, (void)obj, (void)field, (void)scalar, (void)sub;
	return 0;
}

static int parse_message(struct lexer *lx, const struct handler *h, char close, int depth);

/* One value (scalar or message) of `field` at the current token; consumes it. */
static int parse_value(struct lexer *lx, const struct handler *h, const char *field, int depth)
{
	if (is_punct(lx, '{') || is_punct(lx, '<')) {
		char close = is_punct(lx, '{') ? '}' : '>';
		struct handler sub = { skip_fn, NULL };
		if (depth >= MAX_DEPTH)
			return lex_fail(lx, "nested too deeply");
		if (h->fn(lx, h->obj, field, NULL, &sub) != 0 || lex_next(lx) != 0)
			return LV_EINVAL;
		return parse_message(lx, &sub, close, depth + 1);
	}
	if (lx->kind != T_IDENT && lx->kind != T_NUMBER && lx->kind != T_STRING)
		return lex_fail(lx, "expected a value");
	char val[LV_MC_NAME_MAX];
	snprintf(val, sizeof(val), "%s", lx->text);
	if (h->fn(lx, h->obj, field, val, NULL) != 0)
		return LV_EINVAL;
	return lex_next(lx);
}

/* `field: value`, `field { ... }`, `field: [v, v]`; the field name is the current token. */
static int parse_field(struct lexer *lx, const struct handler *h, int depth)
{
	char field[LV_MC_NAME_MAX];
	if (lx->kind != T_IDENT)
		return lex_fail(lx, "expected a field name");
	snprintf(field, sizeof(field), "%s", lx->text);
	if (lex_next(lx) != 0)
		return LV_EINVAL;
	int colon = is_punct(lx, ':');
	if (colon && lex_next(lx) != 0)
		return LV_EINVAL;
	if (!colon && !is_punct(lx, '{') && !is_punct(lx, '<') && !is_punct(lx, '['))
		return lex_fail(lx, "expected ':', '{' or '[' after the field name");
	if (is_punct(lx, '[')) {
		if (lex_next(lx) != 0)
			return LV_EINVAL;
		while (!is_punct(lx, ']')) {
			if (parse_value(lx, h, field, depth) != 0)
				return LV_EINVAL;
			if (is_punct(lx, ','))
				lex_next(lx);
			else if (!is_punct(lx, ']'))
				return lex_fail(lx, "expected ',' or ']' in a list");
		}
		return lex_next(lx);
	}
	if (parse_value(lx, h, field, depth) != 0)
		return LV_EINVAL;
	if (is_punct(lx, ',') || is_punct(lx, ';'))
		return lex_next(lx);
	return 0;
}

/* Fields up to `close` (or end of input when close is 0); consumes the closer. */
static int parse_message(struct lexer *lx, const struct handler *h, char close, int depth)
{
	for (;;) {
		if (lx->kind == T_EOF) {
			if (close)
				return lex_fail(lx, "unexpected end of file: a '{' is not closed");
			return 0;
		}
		if (close && is_punct(lx, close))
			return lex_next(lx);
		if (parse_field(lx, h, depth) != 0)
			return LV_EINVAL;
	}
}

/* ---- the fields LoudVA reads ------------------------------------------------- */

static int to_int(struct lexer *lx, const char *field, const char *s, long long lo, long long hi,
                  long long *out)
{
	long v;
	/* The failure returns LV_EINVAL itself, not lv_fail's result: at -O3 GCC
	 * cannot see that lv_fail's result is nonzero and warns that the callers'
	 * *out may be used unset. */
	if (!s || lv_parse_long(s, &v) != 0 || v < lo || v > hi) {
		lv_fail(lx->why, LV_EINVAL, "%s:%d: %s: '%s' is not an integer in [%lld, %lld]",
		        lx->origin, lx->tok_line, field, s ? s : "{...}", lo, hi);
		return LV_EINVAL;
	}
	*out = v;
	return 0;
}

static int tensor_fn(struct lexer *lx, void *obj, const char *field, const char *scalar,
                     struct handler *sub)
{
	struct lv_model_tensor *t = obj;
	(void)sub;
	if (!strcmp(field, "name") && scalar) {
		snprintf(t->name, sizeof(t->name), "%s", scalar);
	} else if (!strcmp(field, "data_type") && scalar) {
		const char *d = !strncmp(scalar, "TYPE_", 5) ? scalar + 5 : scalar;
		snprintf(t->datatype, sizeof(t->datatype), "%s",
		         !strcmp(d, "STRING") ? "BYTES" : d);
	} else if (!strcmp(field, "format") && scalar) {
		snprintf(t->format, sizeof(t->format), "%s", scalar);
	} else if (!strcmp(field, "label_filename") && scalar) {
		snprintf(t->label_filename, sizeof(t->label_filename), "%s", scalar);
	} else if (!strcmp(field, "dims")) {
		long long v;
		if (t->n_dims == LV_MC_MAX_DIMS)
			return lex_fail(lx, "dims: too many dimensions");
		if (to_int(lx, "dims", scalar, -1, INT64_MAX / 2, &v) != 0)
			return LV_EINVAL;
		t->dims[t->n_dims++] = v;
	}
	return 0;
}

static int instance_fn(struct lexer *lx, void *obj, const char *field, const char *scalar,
                       struct handler *sub)
{
	struct lv_model_config *c = obj;
	long long v;
	(void)sub;
	if (!strcmp(field, "kind") && scalar && !c->instance_kind[0])
		snprintf(c->instance_kind, sizeof(c->instance_kind), "%s", scalar);
	if (strcmp(field, "count") != 0)
		return 0;
	if (to_int(lx, "instance_group.count", scalar, 1, 1024, &v) != 0)
		return LV_EINVAL;
	c->instance_count += (int)v;
	return 0;
}

static int step_fn(struct lexer *lx, void *obj, const char *field, const char *scalar,
                   struct handler *sub)
{
	struct lv_model_step *st = obj;
	(void)lx, (void)sub;
	if (!strcmp(field, "model_name") && scalar)
		snprintf(st->model_name, sizeof(st->model_name), "%s", scalar);
	return 0;
}

static int ensemble_fn(struct lexer *lx, void *obj, const char *field, const char *scalar,
                       struct handler *sub)
{
	struct lv_model_config *c = obj;
	if (strcmp(field, "step") != 0 || scalar)
		return 0;
	if (c->n_steps == LV_MC_MAX_STEPS)
		return lex_fail(lx, "ensemble_scheduling: more than 8 steps");
	sub->fn = step_fn;
	sub->obj = &c->steps[c->n_steps++];
	return 0;
}

static int model_fn(struct lexer *lx, void *obj, const char *field, const char *scalar,
                    struct handler *sub)
{
	struct lv_model_config *c = obj;
	long long v;
	if (!strcmp(field, "name") && scalar) {
		snprintf(c->name, sizeof(c->name), "%s", scalar);
	} else if (!strcmp(field, "platform") && scalar) {
		snprintf(c->platform, sizeof(c->platform), "%s", scalar);
	} else if (!strcmp(field, "backend") && scalar) {
		snprintf(c->backend, sizeof(c->backend), "%s", scalar);
	} else if (!strcmp(field, "ensemble_scheduling") && !scalar) {
		sub->fn = ensemble_fn;
		sub->obj = c;
	} else if (!strcmp(field, "max_batch_size")) {
		if (to_int(lx, field, scalar, 0, 1 << 20, &v) != 0)
			return LV_EINVAL;
		c->max_batch_size = (int)v;
	} else if (!strcmp(field, "dynamic_batching")) {
		c->dynamic_batching = 1;
	} else if (!strcmp(field, "instance_group") && !scalar) {
		sub->fn = instance_fn;
		sub->obj = c;
	} else if ((!strcmp(field, "input") || !strcmp(field, "output")) && !scalar) {
		int in = field[0] == 'i';
		size_t *n = in ? &c->n_inputs : &c->n_outputs;
		if (*n == LV_MC_MAX_TENSORS)
			return lex_fail(lx, "too many tensors");
		sub->fn = tensor_fn;
		sub->obj = in ? &c->inputs[(*n)++] : &c->outputs[(*n)++];
	}
	return 0;
}

static int check_tensors(const struct lv_model_tensor *ts, size_t n, const char *what,
                         const char *origin, char **why)
{
	if (n == 0)
		return lv_fail(why, LV_EINVAL, "%s: no %s tensor", origin, what);
	for (size_t i = 0; i < n; i++) {
		const struct lv_model_tensor *t = &ts[i];
		const char *miss = !t->name[0]       ? "name"
		                   : !t->datatype[0] ? "data_type"
		                   : t->n_dims == 0  ? "dims"
		                                     : NULL;
		if (miss)
			return lv_fail(why, LV_EINVAL, "%s: %s[%zu]: missing %s", origin, what, i,
			               miss);
	}
	return 0;
}

int lv_model_config_parse(const char *text, const char *origin, struct lv_model_config *out,
                          char **why)
{
	struct lexer lx = { .p = text, .origin = origin, .line = 1, .why = why };
	struct handler h = { model_fn, out };
	memset(out, 0, sizeof(*out));
	if (lex_next(&lx) != 0 || parse_message(&lx, &h, 0, 0) != 0)
		return LV_EINVAL;
	if (out->instance_count == 0)
		out->instance_count = 1;
	if (check_tensors(out->inputs, out->n_inputs, "input", origin, why) != 0 ||
	    check_tensors(out->outputs, out->n_outputs, "output", origin, why) != 0)
		return LV_EINVAL;
	if (!strcmp(out->platform, "ensemble") && out->n_steps == 0)
		return lv_fail(why, LV_EINVAL,
		               "%s: platform \"ensemble\" but no ensemble_scheduling step", origin);
	for (size_t i = 0; i < out->n_steps; i++)
		if (!out->steps[i].model_name[0])
			return lv_fail(why, LV_EINVAL,
			               "%s: ensemble_scheduling.step[%zu]: missing model_name",
			               origin, i);
	return 0;
}

int lv_model_config_load(const char *path, struct lv_model_config *out, char **why)
{
	char *text = lv_read_file(path, NULL, why);
	if (!text)
		return LV_EIO;
	int rc = lv_model_config_parse(text, path, out, why);
	free(text);
	return rc;
}

int64_t lv_model_tensor_elements(const struct lv_model_tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->n_dims; i++) {
		if (t->dims[i] < 0)
			return -1;
		n *= t->dims[i];
	}
	return n;
}

size_t lv_model_datatype_size(const char *dt)
{
	static const struct {
		const char *name;
		size_t size;
	} sizes[] = { { "BOOL", 1 },  { "UINT8", 1 }, { "INT8", 1 },   { "UINT16", 2 },
		      { "INT16", 2 }, { "FP16", 2 },  { "BF16", 2 },   { "UINT32", 4 },
		      { "INT32", 4 }, { "FP32", 4 },  { "UINT64", 8 }, { "INT64", 8 },
		      { "FP64", 8 } };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (!strcmp(dt, sizes[i].name))
			return sizes[i].size;
	return 0;
}

/* ---- the input description (struct lv_model_info) ------------------------------ */

int lv_model_info_load(const char *config_path, struct lv_model_info *m, char **why)
{
	struct lv_model_config mc;
	int rc = lv_model_config_load(config_path, &mc, why);
	if (rc != LV_OK)
		return rc;
	const struct lv_model_tensor *in = &mc.inputs[0], *out = &mc.outputs[0];
	if (in->n_dims != 3 || strcmp(in->datatype, "FP32") || out->n_dims < 1)
		return lv_fail(why, LV_EINVAL,
		               "%s: want an FP32 input of 3 dims (HWC) and an output", config_path);
	if (strlen(mc.name) >= sizeof(m->name) || strlen(in->name) >= sizeof(m->input) ||
	    strlen(out->name) >= sizeof(m->output))
		return lv_fail(why, LV_EINVAL, "%s: a model or tensor name is too long",
		               config_path);
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%.63s", mc.name);
	snprintf(m->input, sizeof(m->input), "%.63s", in->name);
	snprintf(m->output, sizeof(m->output), "%.95s", out->name);
	m->height = (int)in->dims[0];
	m->width = (int)in->dims[1];
	m->channels = (int)in->dims[2];
	m->classes = (int)out->dims[0];
	m->max_batch = mc.max_batch_size;
	return LV_OK;
}

size_t lv_model_input_floats(const struct lv_model_info *m)
{
	return (size_t)m->height * (size_t)m->width * (size_t)m->channels;
}
