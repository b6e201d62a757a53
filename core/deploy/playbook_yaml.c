/*
 * playbook_yaml: YAML files (playbooks, vars_files) to lv_val trees through
 * libyaml's document API. Every value keeps the 1-based line it starts on,
 * so the playbook parser can name file:line in its own messages.
 *
 * libyaml's error state is translated here into "name:LINE: problem" and goes
 * no further. Plain scalars resolve as YAML 1.1 (what Ansible's PyYAML does
 * for null, booleans and integers); quoted scalars stay strings.
 *
 * Aliases are resolved by copying, so a few lines of anchors referring to
 * anchors ("billion laughs") would make exponentially many values: a document
 * makes at most as many values as it has nodes plus LV_YAML_MAX_ALIAS_VALUES,
 * and nests at most MAX_DEPTH deep.
 */
#include "playbook.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "readfile.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_DEPTH 64

/* One conversion: the document, its name for messages, values it may still make. */
struct conv {
	yaml_document_t *doc;
	const char *name;
	size_t budget;
	char **why;
};

static struct lv_val *convert(struct conv *cv, yaml_node_t *node, int depth)
{
	const char *name = cv->name;
	char **why = cv->why;
	yaml_document_t *doc = cv->doc;
	if (depth > MAX_DEPTH) {
		lv_fail(why, LV_EINVAL, "%s:%zu: nesting deeper than %d levels", name,
		        node->start_mark.line + 1, MAX_DEPTH);
		return NULL;
	}
	if (cv->budget == 0) {
		lv_fail(why, LV_EINVAL,
		        "%s:%zu: aliases expand to more than %d values beyond the "
		        "document's own",
		        name, node->start_mark.line + 1, LV_YAML_MAX_ALIAS_VALUES);
		return NULL;
	}
	cv->budget--;
	struct lv_val *v = NULL;
	switch (node->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)node->data.scalar.value;
		if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			v = lv_val_new_plain(s);
		else
			v = lv_val_new_strn(s, node->data.scalar.length);
		break;
	}
	case YAML_SEQUENCE_NODE:
		v = lv_val_new_list();
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			struct lv_val *c = convert(cv, yaml_document_get_node(doc, *it), depth + 1);
			if (!c)
				goto fail;
			lv_val_push(v, c);
		}
		break;
	case YAML_MAPPING_NODE:
		v = lv_val_new_map();
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			if (k->type != YAML_SCALAR_NODE) {
				lv_fail(why, LV_EINVAL, "%s:%zu: mapping keys must be scalars",
				        name, k->start_mark.line + 1);
				goto fail;
			}
			struct lv_val *c =
			    convert(cv, yaml_document_get_node(doc, p->value), depth + 1);
			if (!c)
				goto fail;
			lv_val_set(v, (const char *)k->data.scalar.value, c);
		}
		break;
	default: return lv_val_new_null();
	}
	v->line = (int)node->start_mark.line + 1;
	return v;
fail:
	lv_val_free(v);
	return NULL;
}

struct lv_val *lv_yaml_parse(const char *text, size_t len, const char *name, char **why)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct lv_val *out = NULL;
	bool have_doc = false;

	if (!yaml_parser_initialize(&parser)) {
		lv_fail(why, LV_ELIB, "%s: cannot initialise the YAML parser", name);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		lv_fail(why, LV_EINVAL, "%s:%zu: %s%s%s", name, parser.problem_mark.line + 1,
		        parser.problem ? parser.problem : "invalid YAML", parser.context ? " " : "",
		        parser.context ? parser.context : "");
		goto out;
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		out = lv_val_new_null();
		goto out;
	}
	struct conv cv = { .doc = &doc, .name = name, .why = why };
	cv.budget = (size_t)(doc.nodes.top - doc.nodes.start) + LV_YAML_MAX_ALIAS_VALUES;
	out = convert(&cv, root, 0);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return out;
}

struct lv_val *lv_yaml_load(const char *path, char **why)
{
	size_t len = 0;
	char *text = lv_readfile_bounded(path, LV_READFILE_MAX_TEXT, &len, NULL, NULL, why);
	if (!text)
		return NULL;
	struct lv_val *v = lv_yaml_parse(text, len, path, why);
	free(text);
	return v;
}
