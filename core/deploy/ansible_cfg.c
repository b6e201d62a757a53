/*
 * ansible_cfg: finding and reading ansible.cfg (contracts in ansible_cfg.h).
 * Booleans are Ansible's: yes/y/on/true/t/1 and no/n/off/false/f/0 in any
 * case; anything else is an error here, where Ansible would quietly take it
 * as false — a typo in host_key_checking must not turn checking off.
 */
#include "ansible_cfg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "readfile.h"
#include "base/file.h"
#include "base/util.h"

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The file Ansible would read, or NULL. Caller frees. */
static char *find_cfg(void)
{
	const char *env = getenv("ANSIBLE_CONFIG");
	if (env && env[0]) {
		struct stat st;
		char *p = stat(env, &st) == 0 && S_ISDIR(st.st_mode)
		              ? lv_path_join(env, "ansible.cfg")
		              : lv_xstrdup(env);
		if (is_file(p))
			return p;
		free(p);
	}
	if (is_file("ansible.cfg"))
		return lv_xstrdup("ansible.cfg");
	const char *home = getenv("HOME");
	if (home && home[0]) {
		char *p = lv_path_join(home, ".ansible.cfg");
		if (is_file(p))
			return p;
		free(p);
	}
	if (is_file("/etc/ansible/ansible.cfg"))
		return lv_xstrdup("/etc/ansible/ansible.cfg");
	return NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* "~/x" -> $HOME/x; a relative path is taken from the file's directory. Caller frees. */
static char *cfg_path(const char *cfg_file, const char *v)
{
	const char *home = getenv("HOME");
	if (!strncmp(v, "~/", 2) && home)
		return lv_xasprintf("%s%s", home, v + 1);
	if (v[0] == '/' || strchr(v, ','))
		return lv_xstrdup(v);
	char *dir = lv_path_dirname(cfg_file);
	char *p = lv_path_join(dir, v);
	free(dir);
	return p;
}

static int bad(char **why, const char *file, int line, const char *key, const char *v,
               const char *want)
{
	return lv_fail(why, LV_EINVAL, "%s:%d: %s = '%s': expected %s", file, line, key, v, want);
}

static int set_bool(int *dst, const char *file, int line, const char *key, const char *v,
                    char **why)
{
	static const char *const yes[] = { "yes", "y", "on", "true", "t", "1", NULL },
	                         *const no[] = { "no", "n", "off", "false", "f", "0", NULL };
	for (size_t i = 0; yes[i]; i++) {
		if (!strcasecmp(v, yes[i]))
			return *dst = 1, 0;
		if (!strcasecmp(v, no[i]))
			return *dst = 0, 0;
	}
	return bad(why, file, line, key, v, "a boolean (yes/no, true/false, on/off, 1/0)");
}

static int set_num(long *dst, long max, const char *file, int line, const char *key, const char *v,
                   char **why)
{
	long n;
	if (lv_parse_long(v, &n) || n < 1 || n > max) {
		char want[64];
		snprintf(want, sizeof want, "a whole number in 1..%ld", max);
		return bad(why, file, line, key, v, want);
	}
	*dst = n;
	return 0;
}

/* One setting; unknown ones are ignored. */
static int setting(struct lv_ansible_cfg *c, const char *file, int line, const char *sec,
                   const char *key, const char *v, char **why)
{
	char **str = NULL;
	if (!strcmp(sec, "defaults")) {
		if (!strcmp(key, "remote_user"))
			str = &c->remote_user;
		else if (!strcmp(key, "private_key_file") || !strcmp(key, "inventory")) {
			char **dst = key[0] == 'p' ? &c->private_key_file : &c->inventory;
			free(*dst);
			*dst = v[0] ? cfg_path(file, v) : NULL;
			return 0;
		} else if (!strcmp(key, "host_key_checking"))
			return set_bool(&c->host_key_checking, file, line, key, v, why);
		else if (!strcmp(key, "forks")) {
			long n = 0;
			int rc = set_num(&n, 1000, file, line, key, v, why);
			c->forks = (int)n;
			return rc;
		} else if (!strcmp(key, "timeout"))
			return set_num(&c->timeout_s, 1000, file, line, key, v, why);
	} else if (!strcmp(sec, "ssh_connection") && !strcmp(key, "ssh_args")) {
		str = &c->ssh_args;
	}
	if (str) {
		free(*str);
		*str = v[0] ? lv_xstrdup(v) : NULL;
	}
	return 0;
}

int lv_ansible_cfg_read(const char *path, struct lv_ansible_cfg *c, char **why)
{
	char *rw = NULL;
	char *text = lv_readfile_bounded(path, LV_READFILE_MAX_TEXT, NULL, NULL, NULL, &rw);
	if (!text) {
		lv_fail(why, LV_EIO, "ansible.cfg: %s", rw);
		free(rw);
		return LV_EIO;
	}
	free(c->path);
	c->path = lv_xstrdup(path);
	char sec[128] = "", key[128] = "";
	struct lv_buf val = { 0 };
	int line = 0, key_line = 0, rc = 0;
	char *copy = text;
	/* Lines are read one by one; a setting is applied once its continuation lines end. */
	for (char *p = copy;; line++) {
		char *nl = p ? strchr(p, '\n') : NULL;
		if (nl)
			*nl = '\0';
		bool eof = !p;
		bool cont = !eof && key[0] && (p[0] == ' ' || p[0] == '\t') && trim(p)[0];
		if (!cont && key[0]) {
			lv_buf_append(&val, "", 1);
			rc = setting(c, path, key_line, sec, key, trim(val.p), why);
			key[0] = '\0';
			lv_buf_fini(&val);
			if (rc)
				break;
		}
		if (eof)
			break;
		char *s = p;
		p = nl ? nl + 1 : NULL;
		if (cont) {
			char *t = trim(s);
			char *semi = strstr(t, " ;");
			if (semi)
				*semi = '\0';
			lv_buf_append(&val, " ", 1);
			lv_buf_append(&val, t, strlen(t));
			continue;
		}
		char *t = trim(s);
		if (!t[0] || t[0] == '#' || t[0] == ';')
			continue;
		if (t[0] == '[') {
			char *e = strchr(t, ']');
			if (!e || e[1]) {
				rc = lv_fail(why, LV_EINVAL,
				             "%s:%d: a section header must be [name]", path,
				             line + 1);
				break;
			}
			snprintf(sec, sizeof sec, "%.*s", (int)(e - t - 1), t + 1);
			continue;
		}
		size_t k = strcspn(t, "=:");
		if (!t[k]) {
			rc = lv_fail(why, LV_EINVAL, "%s:%d: expected 'key = value', got '%s'",
			             path, line + 1, t);
			break;
		}
		if (!sec[0]) {
			rc = lv_fail(why, LV_EINVAL, "%s:%d: '%s' is outside any [section]", path,
			             line + 1, t);
			break;
		}
		char *v = t + k + 1;
		t[k] = '\0';
		char *kk = trim(t);
		snprintf(key, sizeof key, "%s", kk);
		for (char *q = key; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		char *semi = strstr(v, " ;");
		if (semi)
			*semi = '\0';
		v = trim(v);
		lv_buf_append(&val, v, strlen(v));
		key_line = line + 1;
		if (!key[0]) {
			rc = lv_fail(why, LV_EINVAL, "%s:%d: a setting without a name", path,
			             line + 1);
			break;
		}
	}
	lv_buf_fini(&val);
	free(text);
	return rc;
}

int lv_ansible_cfg_load(struct lv_ansible_cfg *cfg, char **why)
{
	*cfg = (struct lv_ansible_cfg){ .host_key_checking = -1 };
	char *path = find_cfg();
	if (!path)
		return 0;
	int rc = lv_ansible_cfg_read(path, cfg, why);
	free(path);
	return rc;
}

void lv_ansible_cfg_fini(struct lv_ansible_cfg *cfg)
{
	free(cfg->path);
	free(cfg->remote_user);
	free(cfg->private_key_file);
	free(cfg->inventory);
	free(cfg->ssh_args);
	*cfg = (struct lv_ansible_cfg){ .host_key_checking = -1 };
}
