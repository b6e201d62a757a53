/*
 * ansible_cfg: the ansible.cfg that ansible-playbook would read, found as
 * Ansible finds it — $ANSIBLE_CONFIG (a file, or a directory holding
 * ansible.cfg), ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg; the
 * first that exists wins and no other is read — and the settings of it that
 * `loudva setup` honours:
 *
 *   [defaults] remote_user, private_key_file, host_key_checking, forks,
 *              inventory, timeout;
 *   [ssh_connection] ssh_args (its -o UserKnownHostsFile and
 *              StrictHostKeyChecking, as ansible_ssh_common_args).
 *
 * The file is INI as Python's configparser reads it: `key = value` or
 * `key: value`, keys in any case, '#' and ';' comment lines, ' ;' inline
 * comments, indented continuation lines. Unknown sections and keys are
 * ignored, as Ansible does; a value of the wrong type (forks = many) is an
 * error naming file:line. Command-line flags override every setting.
 */
#ifndef LV_ANSIBLE_CFG_H
#define LV_ANSIBLE_CFG_H

#include <stdbool.h>

struct lv_ansible_cfg {
	char *path;             /* the file read, or NULL when none was found */
	char *remote_user;      /* NULL: unset */
	char *private_key_file; /* ~ expanded, relative to the file's directory; NULL: unset */
	char *inventory;        /* relative to the file's directory; NULL: unset */
	char *ssh_args;         /* [ssh_connection] ssh_args; NULL: unset */
	int host_key_checking;  /* -1 unset, 0 off, 1 on */
	int forks;              /* 0: unset */
	long timeout_s;         /* 0: unset */
};

/*
 * Finds the file (above) and reads it into *cfg (lv_ansible_cfg_fini frees
 * it; all unset when none is found). 0, or LV_EINVAL/LV_EIO with *why
 * "FILE:LINE: problem".
 */
int lv_ansible_cfg_load(struct lv_ansible_cfg *cfg, char **why);

/* Reads the file at `path` (no search). Same contract. */
int lv_ansible_cfg_read(const char *path, struct lv_ansible_cfg *cfg, char **why);

void lv_ansible_cfg_fini(struct lv_ansible_cfg *cfg);

#endif
