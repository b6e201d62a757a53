/*
 * runner_vars: what a task's expressions and templates see on one host, in
 * Ansible's precedence order (highest first): extra vars (-e), the loop
 * variable, registered results and set_fact, task vars, enclosing block vars,
 * play vars (and vars_files), inventory host and group vars, then magic
 * variables (playbook_dir, groups, ansible_check_mode, ansible_play_hosts,
 * ...). Gathered facts (runner_facts.c) sit between play vars and inventory
 * vars, as Ansible's "host facts" do: `ansible_facts.x` and `ansible_x`.
 *
 * Variables are templated lazily when read, as in Ansible, so
 * `dir: "{{ root }}/x"` follows an override of root; self-reference is cut
 * off after MAX_DEPTH levels with Ansible's message. The connection options of
 * a host (ansible_host, ansible_port, ...) are read here too.
 */
#include "runner_impl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "inventory.h"
#include "ssh.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_DEPTH 20

static const struct lv_val *find(const struct lv_scope *s, const char *name)
{
	const struct lv_val *v = lv_val_get(s->r->o->extra_vars, name);
	if (!v && s->item_name && !strcmp(name, s->item_name))
		v = s->item;
	if (!v)
		v = lv_val_get(s->h->facts, name);
	if (!v && s->t)
		v = lv_val_get(s->t->vars, name);
	for (const struct lv_frame *f = s->f; !v && f; f = f->up)
		v = lv_val_get(f->vars, name);
	if (!v && s->r->play)
		v = lv_val_get(s->r->play->vars, name);
	if (!v && !strncmp(name, "ansible_", 8))
		v = lv_val_get(lv_val_get(s->h->facts, "ansible_facts"), name + 8);
	if (!v)
		v = lv_val_get(s->h->inv_vars, name);
	if (!v)
		v = lv_val_get(s->r->magic, name);
	return v;
}

int lv_scope_lookup(void *ud, const char *name, struct lv_val **out, char **why)
{
	struct lv_scope *s = ud;
	*out = NULL;
	if (!strcmp(name, "hostvars")) {
		/*
		 * hostvars[name]: each host's inventory variables. Registered results
		 * and facts are left out: other hosts' workers change them meanwhile.
		 */
		struct lv_val *hv = lv_val_new_map();
		for (size_t i = 0; i < s->r->n_hosts; i++)
			lv_val_set(hv, s->r->hosts[i].name, lv_val_dup(s->r->hosts[i].inv_vars));
		*out = hv;
		return 0;
	}
	if (!strcmp(name, "ansible_facts") && !lv_val_get(s->h->facts, name)) {
		*out = lv_val_new_map(); /* no facts gathered: defined and empty, as in Ansible */
		return 0;
	}
	const struct lv_val *v = find(s, name);
	if (!v)
		return 0;
	if (s->depth > MAX_DEPTH)
		return lv_fail(why, LV_EINVAL, "recursive loop detected in template string: %s",
		               name);
	struct lv_scope inner = *s;
	inner.depth++;
	/* a loop item is data, not a template to expand again */
	if (v == s->item) {
		*out = lv_val_dup(v);
		return 0;
	}
	return lv_template_render_val(v, lv_scope_lookup, &inner, out, why);
}

char *lv_scope_text(struct lv_scope *s, const char *name, char **why)
{
	struct lv_val *v = NULL;
	if (lv_scope_lookup(s, name, &v, why) || !v)
		return NULL;
	char *t = v->kind == LV_VAL_NULL ? NULL : lv_val_to_text(v);
	lv_val_free(v);
	return t;
}

void lv_run_magic_init(struct lv_run *r)
{
	struct lv_val *m = lv_val_new_map();
	char buf[PATH_MAX];
	lv_val_set_str(m, "playbook_dir", realpath(r->pb->dir, buf) ? buf : r->pb->dir);
	char *inv_dir = lv_path_dirname(r->inv->path);
	lv_val_set_str(m, "inventory_dir", realpath(inv_dir, buf) ? buf : inv_dir);
	free(inv_dir);
	lv_val_set_bool(m, "ansible_check_mode", r->o->check);
	struct utsname u;
	if (uname(&u) == 0)
		lv_val_set_str(m, "loudva_controller_arch", u.machine);
	struct lv_val *groups = lv_val_new_map();
	for (size_t g = 0; g < r->inv->n_groups; g++) {
		struct lv_val *members = lv_val_new_list();
		for (size_t h = 0; h < r->inv->n_hosts; h++)
			if (lv_inventory_in_group(r->inv, h, g))
				lv_val_push(members, lv_val_new_str(r->inv->hosts[h].name));
		lv_val_set(groups, r->inv->groups[g].name, members);
	}
	lv_val_set(m, "groups", groups);
	r->magic = m;
}

void lv_run_magic_hosts(struct lv_run *r)
{
	struct lv_val *live = lv_val_new_list(), *all = lv_val_new_list();
	for (size_t i = 0; i < r->n_hosts; i++) {
		const struct lv_rhost *h = &r->hosts[i];
		if (!h->in_play)
			continue;
		lv_val_push(all, lv_val_new_str(h->name));
		if (!h->failed && !h->unreachable)
			lv_val_push(live, lv_val_new_str(h->name));
	}
	lv_val_set(r->magic, "ansible_play_batch", lv_val_dup(live));
	lv_val_set(r->magic, "play_hosts", lv_val_dup(live));
	lv_val_set(r->magic, "ansible_play_hosts", live);
	lv_val_set(r->magic, "ansible_play_hosts_all", all);
}

/* ---- connection options ------------------------------------------------ */

/* Reads "-o Key=Value" / "-oKey=Value" options of ansible_ssh_common_args. */
static char *ssh_arg(const char *args, const char *key)
{
	if (!args)
		return NULL;
	size_t kl = strlen(key);
	for (const char *p = strstr(args, key); p; p = strstr(p + 1, key)) {
		bool word_start =
		    p == args || p[-1] == ' ' || p[-1] == 'o' || p[-1] == '\'' || p[-1] == '"';
		if (!word_start || p[kl] != '=')
			continue;
		const char *v = p + kl + 1, *e = v;
		while (*e && *e != ' ' && *e != '\'' && *e != '"')
			e++;
		return lv_xasprintf("%.*s", (int)(e - v), v);
	}
	return NULL;
}

static char *expand_home(char *path)
{
	const char *home = getenv("HOME");
	if (!path || strncmp(path, "~/", 2) || !home)
		return path;
	char *p = lv_xasprintf("%s%s", home, path + 1);
	free(path);
	return p;
}

static enum lv_ssh_hostkey_policy hostkey_policy(const struct lv_runner_opts *o, const char *strict)
{
	if (o->accept_new || (strict && !strcmp(strict, "accept-new")))
		return LV_SSH_HOSTKEY_ACCEPT_NEW;
	if (strict && (!strcmp(strict, "no") || !strcmp(strict, "off")))
		return LV_SSH_HOSTKEY_NO;
	if (!strict && o->no_host_key_checking)
		return LV_SSH_HOSTKEY_NO;
	return LV_SSH_HOSTKEY_STRICT;
}

int lv_run_connect(struct lv_scope *s, char **why)
{
	struct lv_rhost *h = s->h;
	if (h->conn)
		return 0;
	char *host = lv_scope_text(s, "ansible_host", why);
	char *port = lv_scope_text(s, "ansible_port", why);
	char *user = lv_scope_text(s, "ansible_user", why);
	char *key = expand_home(lv_scope_text(s, "ansible_ssh_private_key_file", why));
	if (!key)
		key = expand_home(lv_scope_text(s, "ansible_private_key_file", why));
	if (!key && s->r->o->private_key_file)
		key = expand_home(lv_xstrdup(s->r->o->private_key_file));
	char *pass = lv_scope_text(s, "ansible_password", why);
	if (!pass)
		pass = lv_scope_text(s, "ansible_ssh_pass", why);
	char *common = lv_scope_text(s, "ansible_ssh_common_args", why);
	char *extra = lv_scope_text(s, "ansible_ssh_extra_args", why);
	/* the host's own options first: ssh_arg takes the first it finds */
	char *args = lv_xasprintf("%s %s %s", common ? common : "", extra ? extra : "",
	                          s->r->o->ssh_args ? s->r->o->ssh_args : "");
	char *kh = expand_home(ssh_arg(args, "UserKnownHostsFile"));
	char *strict = ssh_arg(args, "StrictHostKeyChecking");
	long p = 0;
	int rc = LV_EIO;
	if (why && *why)
		goto out; /* a connection variable's template failed */
	if (port && (lv_parse_long(port, &p) || p <= 0 || p > 65535)) {
		lv_fail(why, LV_EINVAL, "ansible_port: '%s' is not a port", port);
		goto out;
	}
	struct lv_ssh_opts so = {
		.host = host ? host : h->name,
		.port = (int)p,
		.user = user                                    ? user
		        : s->r->play && s->r->play->remote_user ? s->r->play->remote_user
		                                                : s->r->o->remote_user,
		.key_file = key,
		.password = pass,
		.known_hosts = s->r->o->known_hosts ? s->r->o->known_hosts : kh,
		.config_file = s->r->o->ssh_config,
		.hostkey = hostkey_policy(s->r->o, strict),
		.timeout_s = s->r->o->timeout_s,
	};
	struct lv_ssh *ssh = NULL;
	rc = lv_ssh_connect(&so, &ssh, why);
	if (rc == 0)
		h->conn = lv_conn_ssh_new(ssh);
out:
	free(host);
	free(port);
	free(user);
	free(key);
	if (pass) {
		memset(pass, 0, strlen(pass));
		free(pass);
	}
	free(common);
	free(extra);
	free(args);
	free(kh);
	free(strict);
	return rc;
}
