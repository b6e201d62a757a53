/*
 * fuzz_playbook: playbooks (lv_playbook_parse in core/deploy/playbook.h, so
 * libyaml and the play and task parsers) from arbitrary text, then the
 * runner's static checks (lv_runner_validate). The text is read as the file
 * fuzz.yml of a scratch directory holding a playbook to import, one that
 * imports itself and a vars file, so imports, cycles and vars_files are
 * reachable; absolute paths (/dev/zero) reach the bounded reader.
 */
#include "harness.h"

#include <unistd.h>

#include "deploy/playbook.h"
#include "deploy/runner.h"

static char dir[64];
static char name[96];

static const struct {
	const char *file, *text;
} files[] = {
	{ "a.yml", "- hosts: all\n  tasks:\n  - command: echo a\n    when: x is defined\n" },
	{ "self.yml", "- import_playbook: self.yml\n" },
	{ "ping.yml", "- import_playbook: pong.yml\n" },
	{ "pong.yml", "- import_playbook: ping.yml\n" },
	{ "vars.yml", "x: 1\nl: [a, b]\n" },
};

static void cleanup(void)
{
	char path[160];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/lv-fuzz-pb.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	fuzz_check(mkdtemp(dir) != NULL, "cannot make a scratch directory");
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[160];
		snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
		FILE *f = fopen(path, "w");
		fuzz_check(f && fputs(files[i].text, f) >= 0 && fclose(f) == 0,
		           "cannot write a scratch file");
	}
	snprintf(name, sizeof name, "%s/fuzz.yml", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_bytes(data, size), *why = NULL;
	struct lv_playbook *pb = lv_playbook_parse(text, size, name, &why);
	free(text);
	if (!pb) {
		fuzz_check(why != NULL, "lv_playbook_parse failed without a message");
		free(why);
		return 0;
	}
	for (size_t i = 0; i < pb->n_plays; i++)
		fuzz_check(pb->plays[i]->hosts != NULL && pb->plays[i]->name != NULL,
		           "a play without hosts or name");
	if (lv_runner_validate(pb, &why))
		fuzz_check(why != NULL, "lv_runner_validate failed without a message");
	free(why);
	lv_playbook_free(pb);
	return 0;
}
