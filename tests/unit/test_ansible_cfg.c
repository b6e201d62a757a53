/*
 * test_ansible_cfg: which ansible.cfg is read (ANSIBLE_CONFIG, then
 * ./ansible.cfg, ~/.ansible.cfg; the first found wins and no other is read),
 * what is taken from it (paths relative to the file, ~ expanded,
 * continuation lines, inline comments, keys in any case), what is ignored
 * (unknown sections and keys), and the errors: a bad value names file:line.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/ansible_cfg.h"
#include "base/file.h"
#include "base/util.h"

static void test_read_settings(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp(), *why = NULL;
	char *path = lv_test_write(dir, "ansible.cfg",
	                           "# a comment\n"
	                           "; another\n"
	                           "[defaults]\n"
	                           "Remote_User = jetson ; inline comment\n"
	                           "private_key_file: keys/id_ed25519\n"
	                           "inventory = hosts.ini\n"
	                           "host_key_checking = False\n"
	                           "forks = 12\n"
	                           "timeout=30\n"
	                           "stdout_callback = yaml\n" /* unknown to us: ignored */
	                           "[ssh_connection]\n"
	                           "ssh_args = -o ControlMaster=auto\n"
	                           "    -o UserKnownHostsFile=/dev/null\n"
	                           "pipelining = True\n"
	                           "[privilege_escalation]\n"
	                           "become = True\n");
	struct lv_ansible_cfg c = { .host_key_checking = -1 };
	assert_int_equal(lv_ansible_cfg_read(path, &c, &why), 0);
	assert_null(why);
	assert_string_equal(c.remote_user, "jetson");
	char *key = lv_path_join(dir, "keys/id_ed25519"), *inv = lv_path_join(dir, "hosts.ini");
	assert_string_equal(c.private_key_file, key);
	assert_string_equal(c.inventory, inv);
	assert_int_equal(c.host_key_checking, 0);
	assert_int_equal(c.forks, 12);
	assert_int_equal(c.timeout_s, 30);
	assert_string_equal(c.ssh_args, "-o ControlMaster=auto -o UserKnownHostsFile=/dev/null");
	lv_ansible_cfg_fini(&c);
	free(key);
	free(inv);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_bad_values(void **state)
{
	(void)state;
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "[defaults]\nforks = many\n",
		  "ansible.cfg:2: forks = 'many': expected a whole number" },
		{ "[defaults]\n\nforks = 0\n", "ansible.cfg:3: forks = '0'" },
		{ "[defaults]\nhost_key_checking = perhaps\n",
		  "ansible.cfg:2: host_key_checking = 'perhaps': expected a boolean" },
		{ "[defaults]\ntimeout = -1\n", "ansible.cfg:2: timeout" },
		{ "remote_user = x\n",
		  "ansible.cfg:1: 'remote_user = x' is outside any [section]" },
		{ "[defaults\n", "ansible.cfg:1: a section header must be [name]" },
		{ "[defaults]\njust words\n", "ansible.cfg:2: expected 'key = value'" },
	};
	char *dir = lv_test_mkdtemp();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *path = lv_test_write(dir, "ansible.cfg", bad[i].text), *why = NULL;
		struct lv_ansible_cfg c = { .host_key_checking = -1 };
		assert_int_equal(lv_ansible_cfg_read(path, &c, &why), LV_EINVAL);
		if (!strstr(why, bad[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, why, bad[i].needle);
		lv_ansible_cfg_fini(&c);
		free(why);
		free(path);
	}
	lv_test_rmtree(dir);
	free(dir);
}

/* ANSIBLE_CONFIG, then ./ansible.cfg, then ~/.ansible.cfg: the first found, alone. */
static void test_search_order(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp(), *why = NULL, old[4096];
	assert_non_null(getcwd(old, sizeof old));
	char *home = lv_path_join(dir, "home"), *work = lv_path_join(dir, "work");
	char *envd = lv_path_join(dir, "env");
	assert_int_equal(mkdir(home, 0755), 0);
	assert_int_equal(mkdir(work, 0755), 0);
	assert_int_equal(mkdir(envd, 0755), 0);
	free(lv_test_write(home, ".ansible.cfg", "[defaults]\nremote_user = from_home\n"));
	free(lv_test_write(work, "ansible.cfg", "[defaults]\nforks = 3\n"));
	free(lv_test_write(envd, "ansible.cfg", "[defaults]\nremote_user = from_env\n"));
	char *old_home = getenv("HOME") ? lv_xstrdup(getenv("HOME")) : NULL;
	setenv("HOME", home, 1);
	unsetenv("ANSIBLE_CONFIG");
	struct lv_ansible_cfg c;
	/* ~/.ansible.cfg when the current directory has none */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(lv_ansible_cfg_load(&c, &why), 0);
	assert_string_equal(c.remote_user, "from_home");
	lv_ansible_cfg_fini(&c);
	/* ./ansible.cfg wins, and ~/.ansible.cfg is not read at all */
	assert_int_equal(chdir(work), 0);
	assert_int_equal(lv_ansible_cfg_load(&c, &why), 0);
	assert_int_equal(c.forks, 3);
	assert_null(c.remote_user);
	lv_ansible_cfg_fini(&c);
	/* ANSIBLE_CONFIG (a directory holding ansible.cfg) wins over both */
	setenv("ANSIBLE_CONFIG", envd, 1);
	assert_int_equal(lv_ansible_cfg_load(&c, &why), 0);
	assert_string_equal(c.remote_user, "from_env");
	assert_int_equal(c.forks, 0);
	lv_ansible_cfg_fini(&c);
	unsetenv("ANSIBLE_CONFIG");
	assert_int_equal(chdir(old), 0);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	free(home);
	free(work);
	free(envd);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_settings),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_search_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
