/*
 * cmd_setup: `loudva setup` — provisions workers over SSH from an Ansible INI
 * inventory and Ansible playbooks, without Ansible. It parses and validates
 * everything first (a bad file or an unknown module touches no host), runs the
 * playbook through core/runner, and prints what the runner reports the way
 * ansible-playbook's default output does, ending with PLAY RECAP.
 *
 * ansible.cfg is read as ansible-playbook reads it (deploy/ansible_cfg.h):
 * its inventory, remote_user, private_key_file, host_key_checking, forks,
 * timeout and ssh_args apply unless a flag says otherwise.
 *
 * Exit status as Ansible's: 0 all well, 2 a host failed, 4 a host was
 * unreachable (4 wins); bad arguments or files also give 2, with one line
 * naming file:line on stderr and no PLAY RECAP.
 */
#include "commands.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/ansible_cfg.h"
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

/* -e K=V, @FILE or {..}: merged into the extra vars (field: struct lv_val *, a MAP). */
static int extra_vars_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	(void)opt;
	return lv_runner_parse_extra_vars(value, *(struct lv_val **)field, why);
}

#define O(field) offsetof(struct setup_args, field)
static const struct lv_opt setup_opts[] = {
	{ .name = "inventory",
	  .short_name = 'i',
	  .kind = LV_OPT_STR,
	  .offset = O(inventory),
	  .arg = "FILE",
	  .help = "Ansible INI inventory [ansible.cfg's inventory]" },
	{ .name = "limit",
	  .short_name = 'l',
	  .kind = LV_OPT_STR,
	  .offset = O(o.limit),
	  .arg = "PATTERN",
	  .help = "only hosts that also match PATTERN" },
	{ .name = "tags",
	  .short_name = 't',
	  .kind = LV_OPT_STR,
	  .offset = O(o.tags),
	  .arg = "T[,T]",
	  .help = "only tasks tagged T (and 'always')" },
	{ .name = "skip-tags",
	  .kind = LV_OPT_STR,
	  .offset = O(o.skip_tags),
	  .arg = "T[,T]",
	  .help = "leave out tasks tagged T" },
	{ .name = "check",
	  .short_name = 'C',
	  .kind = LV_OPT_BOOL,
	  .offset = O(o.check),
	  .help = "report what would change, change nothing" },
	{ .name = "forks",
	  .short_name = 'f',
	  .kind = LV_OPT_INT,
	  .offset = O(o.forks),
	  .arg = "N",
	  .min = 1,
	  .max = 1000,
	  .help = "hosts in parallel [5]" },
	{ .name = "extra-vars",
	  .short_name = 'e',
	  .kind = LV_OPT_FN,
	  .offset = O(extra),
	  .arg = "K=V",
	  .what = "K=V, @FILE or a mapping",
	  .set = extra_vars_opt,
	  .help = "variables of the highest precedence (also @FILE or {..})" },
	{ .name = "known-hosts",
	  .kind = LV_OPT_STR,
	  .offset = O(o.known_hosts),
	  .arg = "FILE",
	  .help = "host keys to verify against [~/.ssh/known_hosts]" },
	{ .name = "accept-new",
	  .kind = LV_OPT_BOOL,
	  .offset = O(o.accept_new),
	  .help = "record and accept keys of hosts not yet known" },
	{ .name = "ssh-config",
	  .kind = LV_OPT_STR,
	  .offset = O(o.ssh_config),
	  .arg = "FILE",
	  .help = "OpenSSH client config to read [~/.ssh/config]" },
	{ .name = "timeout",
	  .kind = LV_OPT_LONG,
	  .offset = O(o.timeout_s),
	  .arg = "S",
	  .min = 1,
	  .max = 1000,
	  .what = "a number of seconds in 1..1000",
	  .help = "SSH connect timeout, seconds [10]" },
	{ .name = "syntax-check",
	  .kind = LV_OPT_BOOL,
	  .offset = O(syntax_check),
	  .help = "parse and validate only" },
	{ .name = "list-hosts",
	  .kind = LV_OPT_BOOL,
	  .offset = O(list_hosts),
	  .help = "print the hosts each play would run on" },
	{ .name = "verbose",
	  .short_name = 'v',
	  .kind = LV_OPT_COUNT,
	  .offset = O(verbose),
	  .help = "show results and live command output (-vv, -vvv: more)" },
	{ 0 },
};
#undef O

static const struct lv_opt_spec setup_spec = {
	.cmd = "setup",
	.about = "Runs an Ansible playbook natively over SSH (libssh); ansible-playbook can run\n"
	         "the same files.",
	.opts = setup_opts,
	.operand = "PLAYBOOK",
	.operand_what = "a playbook",
	.operand_offset = offsetof(struct setup_args, playbook),
	.epilog = "Exit status: 0 ok, 2 a host failed (or bad input), 4 a host was unreachable.",
};

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
	case LV_EV_TRANSFER:
		/* Ansible warns at each fallback; once per host says as much */
		if (ev->line)
			fprintf(stderr, "[WARNING]: file transfers to [%s] fall back to %s: %s\n",
			        ev->host, ev->name, ev->line);
		if (a->verbose)
			printf("<%s> files are transferred with %s\n", ev->host, ev->name);
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
	struct lv_ansible_cfg cfg = { .host_key_checking = -1 };
	a.extra = lv_val_new_map();
	int rc = lv_opts_parse(&setup_spec, argc, argv, &a);
	if (rc) {
		code = rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
		goto out;
	}
	if (lv_ansible_cfg_load(&cfg, &why)) {
		fprintf(stderr, "loudva setup: %s\n", why);
		goto out;
	}
	if (cfg.path && a.verbose)
		printf("Using %s as config file\n", cfg.path);
	/* the flags win over ansible.cfg, which wins over the built-in defaults */
	if (!a.inventory)
		a.inventory = cfg.inventory;
	if (!a.inventory) {
		fprintf(stderr, "loudva setup: no inventory: give -i FILE, or inventory in "
		                "ansible.cfg's [defaults]\n");
		goto out;
	}
	if (strchr(a.inventory, ',')) {
		fprintf(stderr,
		        "loudva setup: inventory '%s': lists of hosts or files are not "
		        "supported; name one INI file\n",
		        a.inventory);
		goto out;
	}
	if (!a.o.forks)
		a.o.forks = cfg.forks;
	if (!a.o.timeout_s)
		a.o.timeout_s = cfg.timeout_s;
	a.o.remote_user = cfg.remote_user;
	a.o.private_key_file = cfg.private_key_file;
	a.o.ssh_args = cfg.ssh_args;
	a.o.no_host_key_checking = cfg.host_key_checking == 0;
	char *inventory = lv_cmd_data(a.inventory), *playbook = lv_cmd_data(a.playbook);
	inv = lv_inventory_load(inventory, &why);
	if (inv)
		pb = lv_playbook_load(playbook, &why);
	free(inventory);
	free(playbook);
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
	lv_ansible_cfg_fini(&cfg);
	lv_recap_fini(&recap);
	lv_playbook_free(pb);
	lv_inventory_free(inv);
	lv_val_free(a.extra);
	free(why);
	lv_ssh_global_fini();
	return code;
}
