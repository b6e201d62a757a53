/*
 * cmd_setup: `loudva setup` — provisions workers over SSH from an Ansible INI
 * inventory and Ansible playbooks, without Ansible. It parses and validates
 * everything first (a bad file or an unknown module touches no host), runs the
 * playbook through core/runner, and prints what the runner reports the way
 * ansible-playbook's default output does, ending with PLAY RECAP.
 *
 * Exit status as Ansible's: 0 all well, 2 a host failed, 4 a host was
 * unreachable (4 wins); bad arguments or files also give 2, with one line
 * naming file:line on stderr and no PLAY RECAP.
 */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/inventory.h"
#include "deploy/playbook.h"
#include "deploy/runner.h"
#include "deploy/ssh.h"
#include "base/util.h"

#define BANNER_COLS 79

struct setup_args {
	const char *inventory, *playbook;
	struct lv_runner_opts o;
	struct lv_val *extra;
	int verbose;
	bool syntax_check, list_hosts;
};

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: loudva setup -i INVENTORY PLAYBOOK [options]\n\n"
	       "Runs an Ansible playbook natively over SSH (libssh); ansible-playbook can run\n"
	       "the same files. Options:\n"
	       "  -i, --inventory FILE   Ansible INI inventory (required)\n"
	       "  -l, --limit PATTERN    only hosts that also match PATTERN\n"
	       "  -t, --tags T[,T]       only tasks tagged T (and 'always')\n"
	       "      --skip-tags T[,T]  leave out tasks tagged T\n"
	       "  -C, --check            report what would change, change nothing\n"
	       "  -f, --forks N          hosts in parallel [5]\n"
	       "  -e, --extra-vars K=V   variables of the highest precedence (also @FILE or {..})\n"
	       "      --known-hosts FILE host keys to verify against [~/.ssh/known_hosts]\n"
	       "      --accept-new       record and accept keys of hosts not yet known\n"
	       "      --ssh-config FILE  OpenSSH client config to read [~/.ssh/config]\n"
	       "      --timeout S        SSH connect timeout, seconds [10]\n"
	       "      --syntax-check     parse and validate only\n"
	       "      --list-hosts       print the hosts each play would run on\n"
	       "  -v                     show results and live command output\n\n"
	       "Exit status: 0 ok, 2 a host failed (or bad input), 4 a host was unreachable.\n");
}

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "loudva setup: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	return LV_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct setup_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		long n;
		char *why = NULL;
		if (!strcmp(s, "-i") || !strcmp(s, "--inventory")) {
			a->inventory = v;
		} else if (!strcmp(s, "-l") || !strcmp(s, "--limit")) {
			a->o.limit = v;
		} else if (!strcmp(s, "-t") || !strcmp(s, "--tags")) {
			a->o.tags = v;
		} else if (!strcmp(s, "--skip-tags")) {
			a->o.skip_tags = v;
		} else if (!strcmp(s, "--known-hosts")) {
			a->o.known_hosts = v;
		} else if (!strcmp(s, "--ssh-config")) {
			a->o.ssh_config = v;
		} else if (!strcmp(s, "-f") || !strcmp(s, "--forks") || !strcmp(s, "--timeout")) {
			bool timeout = !strcmp(s, "--timeout");
			if (!v || lv_parse_long(v, &n) || n < 1 || n > 1000)
				return bad(timeout ? "--timeout: expected 1..1000 seconds"
				                   : "--forks: expected 1..1000",
				           v);
			if (timeout)
				a->o.timeout_s = n;
			else
				a->o.forks = (int)n;
		} else if (!strcmp(s, "-e") || !strcmp(s, "--extra-vars")) {
			if (v && lv_runner_parse_extra_vars(v, a->extra, &why)) {
				fprintf(stderr, "loudva setup: %s\n", why);
				free(why);
				return LV_EXIT_USAGE;
			}
		} else {
			takes = false;
			if (!strcmp(s, "-C") || !strcmp(s, "--check"))
				a->o.check = true;
			else if (!strcmp(s, "--accept-new"))
				a->o.accept_new = true;
			else if (!strcmp(s, "--syntax-check"))
				a->syntax_check = true;
			else if (!strcmp(s, "--list-hosts"))
				a->list_hosts = true;
			else if (s[0] == '-' && s[1] == 'v' && strspn(s + 1, "v") == strlen(s + 1))
				a->verbose += (int)strlen(s + 1);
			else if (s[0] == '-')
				return bad("unknown option", s);
			else if (a->playbook)
				return bad("more than one playbook", s);
			else
				a->playbook = s;
		}
		if (takes && !v)
			return bad("missing value for", s);
		i += takes;
	}
	if (!a->inventory)
		return bad("an inventory is required (-i FILE)", NULL);
	if (!a->playbook)
		return bad("a playbook is required", NULL);
	return 0;
}

/* "TASK [name] ****..." as Ansible's banner. */
static void banner(const char *kind, const char *name)
{
	char *msg = name ? lv_xasprintf("%s [%s]", kind, name) : lv_xstrdup(kind);
	int stars = BANNER_COLS - (int)strlen(msg);
	if (stars < 3)
		stars = 3;
	printf("\n%s ", msg);
	for (int i = 0; i < stars; i++)
		putchar('*');
	putchar('\n');
	free(msg);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* The result as Ansible prints it: keys sorted, "failed" left out (the line says so). */
static char *result_json(const struct lv_val *res)
{
	if (!res || res->kind != LV_VAL_MAP)
		return lv_val_to_json(res);
	char **keys = lv_xcalloc(res->n + 1, sizeof *keys);
	size_t n = 0;
	for (size_t i = 0; i < res->n; i++)
		if (strcmp(res->keys[i], "failed"))
			keys[n++] = res->keys[i];
	char ***refs = lv_xcalloc(n + 1, sizeof *refs);
	for (size_t i = 0; i < n; i++)
		refs[i] = &keys[i];
	qsort(refs, n, sizeof *refs, cmp_keys);
	struct lv_val *m = lv_val_new_map();
	for (size_t i = 0; i < n; i++)
		lv_val_set(m, *refs[i], lv_val_dup(lv_val_get(res, *refs[i])));
	char *json = lv_val_to_json(m);
	lv_val_free(m);
	free(refs);
	free(keys);
	return json;
}

/* A debug or assert result as Ansible shows it: one key a line (debug leaves out "changed"). */
static void print_pretty(const struct lv_val *res, bool skip_changed)
{
	printf("{\n");
	bool first = true;
	for (size_t i = 0; res && i < res->n; i++) {
		if (skip_changed && !strcmp(res->keys[i], "changed"))
			continue;
		char *k =
		    lv_val_to_json(&(struct lv_val){ .kind = LV_VAL_STR, .str = res->keys[i] });
		char *v = lv_val_to_json(res->items[i]);
		printf("%s    %s: %s", first ? "" : ",\n", k, v);
		first = false;
		free(k);
		free(v);
	}
	printf("\n}\n");
}

static void print_result(const struct setup_args *a, const struct lv_run_event *ev)
{
	static const char *const word[] = { "ok", "changed", "skipping", "fatal", "fatal" };
	char where[256];
	bool deleg = ev->delegated && ev->status != LV_RUN_SKIPPED;
	snprintf(where, sizeof where, "[%s%s%s]", ev->host, deleg ? " -> " : "",
	         deleg ? ev->delegated : "");
	char *json = ev->hidden ? lv_xstrdup("{\"censored\": \"the output has been hidden due to "
	                                     "the fact that 'no_log: true' was specified for this "
	                                     "result\"}")
	                        : result_json(ev->result);
	const char *item = ev->item;
	bool bad_result = ev->status == LV_RUN_FAILED || ev->status == LV_RUN_UNREACHABLE;
	bool is_debug = ev->module &&
	                (!strcmp(ev->module, "debug") || !strcmp(ev->module, "assert")) &&
	                ev->status == LV_RUN_OK;
	if (is_debug && !ev->hidden && !item && !a->verbose) {
		printf("ok: %s => ", where);
		print_pretty(ev->result, !strcmp(ev->module, "debug"));
	} else if (bad_result && item)
		printf("failed: %s (item=%s) => %s\n", where, item, json);
	else if (ev->status == LV_RUN_UNREACHABLE)
		printf("fatal: %s: UNREACHABLE! => %s\n", where, json);
	else if (bad_result)
		printf("fatal: %s: FAILED! => %s\n", where, json);
	else if (item)
		printf("%s: %s => (item=%s)%s%s\n", word[ev->status], where, item,
		       a->verbose ? " => " : "", a->verbose ? json : "");
	else if (a->verbose)
		printf("%s: %s => %s\n", word[ev->status], where, json);
	else
		printf("%s: %s\n", word[ev->status], where);
	if (bad_result && ev->ignored && ev->status == LV_RUN_FAILED)
		printf("...ignoring\n");
	free(json);
}

static void on_event(void *ud, const struct lv_run_event *ev)
{
	const struct setup_args *a = ud;
	switch (ev->type) {
	case LV_EV_PLAY: banner("PLAY", ev->name); break;
	case LV_EV_NO_HOSTS:
		banner("PLAY", ev->name);
		printf("skipping: no hosts matched\n");
		break;
	case LV_EV_TASK: banner("TASK", ev->name); break;
	case LV_EV_HANDLER: banner("RUNNING HANDLER", ev->name); break;
	case LV_EV_RESULT: print_result(a, ev); break;
	case LV_EV_OUTPUT:
		if (a->verbose)
			printf("  %s | %s\n", ev->host, ev->line);
		break;
	}
	fflush(stdout);
}

static void print_recap(const struct lv_recap *rc)
{
	banner("PLAY RECAP", NULL);
	for (size_t i = 0; i < rc->n; i++) {
		const struct lv_recap_row *r = &rc->rows[i];
		printf("%-26s : ok=%-4d changed=%-4d unreachable=%-4d failed=%-4d skipped=%-4d "
		       "rescued=%-4d ignored=%-4d\n",
		       r->host, r->ok, r->changed, r->unreachable, r->failed, r->skipped,
		       r->rescued, r->ignored);
	}
}

static void list_hosts(const struct lv_playbook *pb, const struct lv_inventory *inv,
                       const char *limit)
{
	bool *sel = lv_xcalloc(inv->n_hosts + 1, sizeof *sel),
	     *lim = lv_xcalloc(inv->n_hosts + 1, 1);
	size_t n;
	if (limit)
		lv_inventory_match(inv, limit, lim, &n);
	for (size_t p = 0; p < pb->n_plays; p++) {
		lv_inventory_match(inv, pb->plays[p]->hosts, sel, &n);
		printf("\nplay #%zu (%s): %s\n", p + 1, pb->plays[p]->hosts, pb->plays[p]->name);
		for (size_t h = 0; h < inv->n_hosts; h++)
			if (sel[h] && (!limit || lim[h]))
				printf("    %s\n", inv->hosts[h].name);
	}
	free(sel);
	free(lim);
}

int lv_cmd_setup(int argc, char **argv)
{
	struct setup_args a = { 0 };
	struct lv_inventory *inv = NULL;
	struct lv_playbook *pb = NULL;
	struct lv_recap recap = { 0 };
	char *why = NULL;
	int code = LV_EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return LV_EXIT_OK;
		}
	}
	a.extra = lv_val_new_map();
	if (parse_args(argc, argv, &a))
		goto out;
	inv = lv_inventory_load(a.inventory, &why);
	if (inv)
		pb = lv_playbook_load(a.playbook, &why);
	if (!inv || !pb || lv_runner_validate(pb, &why)) {
		fprintf(stderr, "loudva setup: %s\n", why);
		goto out;
	}
	if (a.syntax_check || a.list_hosts) {
		if (a.list_hosts)
			list_hosts(pb, inv, a.o.limit);
		else
			printf("playbook: %s\n", a.playbook);
		code = LV_EXIT_OK;
		goto out;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	a.o.extra_vars = a.extra;
	a.o.on_event = on_event;
	a.o.ud = &a;
	code = lv_runner_run(pb, inv, &a.o, &recap, &why);
	if (code < 0) {
		fprintf(stderr, "loudva setup: %s\n", why);
		code = LV_EXIT_FAIL;
		goto out;
	}
	print_recap(&recap);
out:
	lv_recap_fini(&recap);
	lv_playbook_free(pb);
	lv_inventory_free(inv);
	lv_val_free(a.extra);
	free(why);
	lv_ssh_global_fini();
	return code;
}
