/*
 * main: the `loudva` program — global options and the subcommand table.
 *
 * Subcommands are declared as data (the table below); each one parses its own
 * arguments and returns an exit status (0 ok, 1 failure, 2 bad input).
 * `loudva` with no subcommand, or with console options first (`loudva -r 250`),
 * opens the operations console on the embedded cluster; `loudva --batch` runs
 * an experiment headless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "base/datapath.h"
#include "base/file.h"
#include "base/util.h"
#include "base/version.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "console", lv_cmd_console, "the operations console (the default)" },
	{ "serve", lv_cmd_serve, "run the controller headless: front end, scheduler, dispatcher" },
	{ "setup", lv_cmd_setup, "provision workers over SSH (Ansible-compatible playbooks)" },
	{ "decide", lv_cmd_decide, "what would the scheduler do now, and why" },
	{ "profile", lv_cmd_profile, "import, check and show device profiles" },
	{ "twin", lv_cmd_twin, "set a replay of the thesis's runs against the board" },
	{ "predictor", lv_cmd_predictor, "train and evaluate the cost predictor" },
	{ "trace", lv_cmd_trace, "generate and summarise workload traces" },
	{ "sim", lv_cmd_sim, "replay a trace on emulated devices: frames, energy, frames/J" },
	{ "load", lv_cmd_load, "replay a trace as camera clients and tally the answers" },
	{ "report", lv_cmd_report, "summarise the runs recorded in a store (loudva.db)" },
	{ "demo", lv_cmd_demo,
	  "a short simulated run of the thesis cluster, two policies compared" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: loudva [--version] [--help] [--data-dir DIR] [--batch SPEC [OPTIONS]]\n"
	           "              [COMMAND [ARGS]]\n\n"
	           "LoudVA: energy-efficient video analytics on Jetson clusters.\n"
	           "With no command, opens the console on the embedded thesis cluster\n"
	           "(five emulated Jetsons and a synthetic camera workload).\n"
	           "--batch SPEC runs an experiment headless (see experiments/README.md).\n\n"
	           "commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'loudva COMMAND --help' describes each command.\n");
	char *sp = lv_data_search_path();
	fprintf(f,
	        "\nData (profiles, cluster files, model repository, playbooks, experiments)\n"
	        "is found on this search path, first match first (--data-dir DIR or\n"
	        "$" LV_DATA_DIR_ENV " put DIR first; see loudva(1)):\n%s",
	        sp);
	free(sp);
}

int main(int argc, char **argv)
{
	lv_set_oom_fn(lv_oom_print);
	/* --data-dir DIR: first on the data search path, also for child processes. */
	while (argc >= 2 && !strncmp(argv[1], "--data-dir", 10) &&
	       (argv[1][10] == '\0' || argv[1][10] == '=')) {
		const char *dir = argv[1][10] == '=' ? argv[1] + 11 : argc >= 3 ? argv[2] : NULL;
		if (!dir || !dir[0]) {
			fprintf(stderr, "loudva: --data-dir: needs a directory\n");
			return LV_EXIT_USAGE;
		}
		setenv(LV_DATA_DIR_ENV, dir, 1);
		int used = argv[1][10] == '=' ? 1 : 2;
		argv[used] = argv[0];
		argv += used;
		argc -= used;
	}
	if (argc < 2)
		return lv_cmd_console(1, (char *[]){ "console", NULL });
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return LV_EXIT_OK;
	}
	if (!strcmp(cmd, "--batch"))
		return lv_cmd_batch(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version")) {
		printf("loudva %s\n", LV_VERSION);
		return LV_EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, cmd))
			return c->fn(argc - 1, argv + 1);
	if (cmd[0] == '-') {
		/* Options first: they are the console's (loudva -r 250, loudva --duration 5). */
		argv[0] = "console";
		return lv_cmd_console(argc, argv);
	}
	fprintf(stderr, "loudva: unknown command '%s' (see loudva --help)\n", cmd);
	return LV_EXIT_USAGE;
}
