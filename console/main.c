/*
 * main: the `loudva` program — global options and the subcommand table.
 *
 * Subcommands are declared as data (the table below); each one parses its own
 * arguments and returns an exit status (0 ok, 1 failure, 2 bad input).
 * `loudva` with no subcommand runs the main job: today the simulated thesis
 * cluster demo; the interactive console takes its place when it lands.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

#define LOUDVA_VERSION "0.1.0"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "decide", lv_cmd_decide, "what would the scheduler do now, and why" },
	{ "profile", lv_cmd_profile, "import, check and show device profiles" },
	{ "predictor", lv_cmd_predictor, "train and evaluate the cost predictor" },
	{ "trace", lv_cmd_trace, "generate and summarise workload traces" },
	{ "sim", lv_cmd_sim, "replay a trace on emulated devices: frames, energy, frames/J" },
	{ "load", lv_cmd_load, "replay a trace as camera clients and tally the answers" },
	{ "report", lv_cmd_report, "summarise the runs recorded in a store (loudva.db)" },
	{ "demo", lv_cmd_demo, "a short simulated run of the thesis cluster, two policies compared" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: loudva [--version] [--help] [--batch SPEC [OPTIONS]] [COMMAND [ARGS]]\n\n"
		   "LoudVA: energy-efficient video analytics on Jetson clusters.\n"
		   "With no command, runs the demo on the embedded thesis cluster.\n"
		   "--batch SPEC runs an experiment headless (see experiments/README.md).\n\n"
		   "commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'loudva COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return lv_cmd_demo(1, (char *[]){ "demo", NULL });
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return LV_EXIT_OK;
	}
	if (!strcmp(cmd, "--batch"))
		return lv_cmd_batch(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version")) {
		printf("loudva %s\n", LOUDVA_VERSION);
		return LV_EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(c->name, cmd))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "loudva: unknown command '%s'\n", cmd);
	usage(stderr);
	return LV_EXIT_USAGE;
}
