/*
 * module: the module registry — one table of every module implementation,
 * selected by name. It points down to module_<group>.c and nothing else; the
 * helpers those implementations share live in module_util.c.
 *
 * Names are found as Ansible finds them: the short name ("copy") or the fully
 * qualified one ("ansible.builtin.copy", "ansible.legacy.copy"), which
 * ansible-lint's production profile asks for.
 */
#include "module.h"

#include <stddef.h>
#include <string.h>

static const struct lv_module_ops *const registry[] = {
	&lv_module_command,  &lv_module_shell,      &lv_module_copy,
	&lv_module_template, &lv_module_file,       &lv_module_fetch,
	&lv_module_stat,     &lv_module_wait_for,   &lv_module_systemd,
	&lv_module_service,  &lv_module_lineinfile, &lv_module_unarchive,
	&lv_module_debug,    &lv_module_set_fact,   &lv_module_fail,
	&lv_module_assert,   &lv_module_apt,        &lv_module_package,
	&lv_module_reboot,   &lv_module_user,       NULL,
};

/* The collections whose modules we implement under their short names. */
static const char *const collections[] = { "ansible.builtin.", "ansible.legacy.", NULL };

const struct lv_module_ops *lv_module_find(const char *name)
{
	for (const char *const *c = collections; *c; c++)
		if (!strncmp(name, *c, strlen(*c))) {
			name += strlen(*c);
			break;
		}
	for (const struct lv_module_ops *const *m = registry; *m; m++)
		if (!strcmp((*m)->name, name))
			return *m;
	return NULL;
}
