/*
 * module_facts: `setup`, which `gather_facts: true` runs first in a play (as
 * the task "Gathering Facts"), and which a task may call itself. It gathers a
 * documented set of facts with one sh script — no Python on the host — and
 * stores them in the host's `ansible_facts`, where expressions find them as
 * `ansible_facts.NAME` and `ansible_NAME`:
 *
 *   hostname, nodename, fqdn, architecture, machine, kernel, system,
 *   distribution, distribution_version, distribution_major_version,
 *   distribution_release, os_family (from /etc/os-release; on Debian the
 *   version from /etc/debian_version, as Ansible), memtotal_mb,
 *   processor_count, processor_nproc, processor_vcpus, and on a Jetson
 *   loudva_jetson_model (/proc/device-tree/model) and loudva_l4t_release
 *   (/etc/nv_tegra_release, "R35.4.1"); both are "" elsewhere.
 *
 * Names and values are Ansible's where Ansible has the fact; the two Jetson
 * facts are ours and carry the loudva_ prefix. A fact the host cannot give
 * is "" (memtotal_mb and the processor counts: 0), never missing.
 */
#include "module.h"

#include <stdlib.h>
#include <string.h>

#include "module_util.h"
#include "base/util.h"

/* Prints NAME=VALUE lines; values are one line each (tr removes the rest). */
static const char script[] =
    "one() { printf '%s=' \"$1\"; shift; (\"$@\") 2>/dev/null | tr -d '\\n\\000' | head -c 512;"
    " echo; }\n"
    "osr() { [ -r /etc/os-release ] && (. /etc/os-release; eval \"printf %s \\\"\\$$1\\\"\"); }\n"
    "one hostname uname -n\n"
    "one fqdn sh -c 'hostname -f 2>/dev/null || uname -n'\n"
    "one architecture uname -m\n"
    "one kernel uname -r\n"
    "one system uname -s\n"
    "one os_id osr ID\n"
    "one os_id_like osr ID_LIKE\n"
    "one os_name osr NAME\n"
    "one distribution_version osr VERSION_ID\n"
    "one distribution_release osr VERSION_CODENAME\n"
    "one memtotal_kb sh -c \"awk '/^MemTotal:/ {print \\$2}' /proc/meminfo\"\n"
    "one processor_count sh -c \"grep -c '^processor' /proc/cpuinfo\"\n"
    "one processor_nproc nproc\n"
    "one jetson_model cat /proc/device-tree/model\n"
    "one l4t sh -c \"head -n 1 /etc/nv_tegra_release\"\n"
    "one debian_version cat /etc/debian_version\n";

static const char *field(const char *out, const char *name, size_t *len)
{
	size_t n = strlen(name);
	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, name, n) && p[n] == '=') {
			const char *v = p + n + 1, *e = strchr(v, '\n');
			*len = e ? (size_t)(e - v) : strlen(v);
			return v;
		}
	}
	*len = 0;
	return "";
}

static char *get(const char *out, const char *name)
{
	size_t len;
	const char *v = field(out, name, &len);
	return lv_xasprintf("%.*s", (int)len, v);
}

/* Ansible's distribution name for an os-release ID ("ubuntu" -> "Ubuntu"). */
static char *distribution(const char *id, const char *name)
{
	static const char *const known[][2] = {
		{ "ubuntu", "Ubuntu" },       { "debian", "Debian" },
		{ "fedora", "Fedora" },       { "centos", "CentOS" },
		{ "rhel", "RedHat" },         { "rocky", "Rocky" },
		{ "almalinux", "AlmaLinux" }, { "alpine", "Alpine" },
		{ "arch", "Archlinux" },      { "opensuse-leap", "openSUSE Leap" }
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(id, known[i][0]))
			return lv_xstrdup(known[i][1]);
	if (!id[0])
		return lv_xstrdup(name);
	char *d = lv_xstrdup(id);
	d[0] = (char)(d[0] >= 'a' && d[0] <= 'z' ? d[0] - 32 : d[0]);
	return d;
}

static char *os_family(const char *id, const char *like)
{
	const char *both[] = { id, like };
	for (size_t i = 0; i < 2; i++) {
		if (strstr(both[i], "debian") || strstr(both[i], "ubuntu"))
			return lv_xstrdup("Debian");
		if (strstr(both[i], "rhel") || strstr(both[i], "fedora") ||
		    strstr(both[i], "centos"))
			return lv_xstrdup("RedHat");
		if (strstr(both[i], "suse"))
			return lv_xstrdup("Suse");
		if (strstr(both[i], "alpine"))
			return lv_xstrdup("Alpine");
		if (strstr(both[i], "arch"))
			return lv_xstrdup("Archlinux");
	}
	return lv_xstrdup(id[0] ? id : "");
}

/* "# R35 (release), REVISION: 4.1, ..." -> "R35.4.1"; "" when absent or unreadable. */
static char *l4t_release(const char *line)
{
	const char *r = strstr(line, "# R"), *rev = strstr(line, "REVISION: ");
	if (!r || !rev)
		return lv_xstrdup("");
	int major = atoi(r + 3);
	rev += 10;
	size_t n = strspn(rev, "0123456789.");
	return lv_xasprintf("R%d.%.*s", major, (int)n, rev);
}

static long long num(const char *out, const char *name)
{
	char *t = get(out, name);
	long long v = atoll(t);
	free(t);
	return v;
}

/* Turns the script's output into the facts map. */
static struct lv_val *facts_from(const char *out)
{
	struct lv_val *f = lv_val_new_map();
	static const char *const plain[] = { "hostname",
		                             "fqdn",
		                             "architecture",
		                             "kernel",
		                             "system",
		                             "distribution_version",
		                             "distribution_release",
		                             NULL };
	for (const char *const *k = plain; *k; k++) {
		char *v = get(out, *k);
		lv_val_set_str(f, *k, v);
		free(v);
	}
	char *h = get(out, "hostname");
	lv_val_set_str(f, "nodename", h);
	free(h);
	char *arch = get(out, "architecture");
	lv_val_set_str(f, "machine", arch);
	free(arch);
	char *id = get(out, "os_id"), *like = get(out, "os_id_like"), *name = get(out, "os_name");
	char *dist = distribution(id, name), *fam = os_family(id, like);
	lv_val_set_str(f, "distribution", dist);
	lv_val_set_str(f, "os_family", fam);
	/* Debian's point release, as Ansible reports it ("12.9", not os-release's "12") */
	char *deb = get(out, "debian_version");
	if (!strcmp(dist, "Debian") && deb[0] >= '0' && deb[0] <= '9')
		lv_val_set_str(f, "distribution_version", deb);
	free(deb);
	char *ver = lv_xstrdup(lv_val_text(lv_val_get(f, "distribution_version")));
	lv_val_set_str(f, "distribution_major_version", strtok(ver, ".") ? ver : "");
	free(ver);
	free(id);
	free(like);
	free(name);
	free(dist);
	free(fam);
	lv_val_set_int(f, "memtotal_mb", num(out, "memtotal_kb") / 1024);
	lv_val_set_int(f, "processor_count", num(out, "processor_count"));
	lv_val_set_int(f, "processor_nproc", num(out, "processor_nproc"));
	lv_val_set_int(f, "processor_vcpus", num(out, "processor_count"));
	char *model = get(out, "jetson_model");
	lv_val_set_str(f, "loudva_jetson_model", model);
	free(model);
	char *l4t = get(out, "l4t"), *rel = l4t_release(l4t);
	lv_val_set_str(f, "loudva_l4t_release", rel);
	free(l4t);
	free(rel);
	return f;
}

static const char *const known[] = { "gather_subset", "filter", "gather_timeout", NULL };

static int setup_validate(const struct lv_val *args, char **why)
{
	return lv_mod_known_args(args, "setup", known, why);
}

static int setup_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	struct lv_exec_result res = { 0 };
	bool become = ctx->become;
	ctx->become = false; /* facts need no root */
	int rc = lv_mod_shell(ctx, script, &res, why);
	ctx->become = become;
	if (rc)
		return rc;
	if (res.rc != 0) {
		char *msg = lv_xasprintf("gathering facts failed (exit %d): %s", res.rc, res.err);
		lv_mod_failed(result, msg);
		free(msg);
		lv_exec_result_fini(&res);
		return 0;
	}
	struct lv_val *f = facts_from(res.out);
	lv_exec_result_fini(&res);
	struct lv_val *all = lv_val_dup(lv_val_get(ctx->facts, "ansible_facts"));
	if (!all || all->kind != LV_VAL_MAP) {
		lv_val_free(all);
		all = lv_val_new_map();
	}
	lv_val_merge(all, f);
	lv_val_set(ctx->facts, "ansible_facts", all);
	lv_val_set(result, "ansible_facts", f);
	lv_val_set_bool(result, "changed", false);
	return 0;
}

const struct lv_module_ops lv_module_setup = {
	.name = "setup",
	.flags = LV_MOD_CHECK,
	.validate = setup_validate,
	.run = setup_run,
};
