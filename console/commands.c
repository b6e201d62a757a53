/*
 * commands: what the subcommands share — the one-line bad-input message.
 */
#include "commands.h"

#include <stdarg.h>
#include <stdio.h>

int lv_cmd_bad(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loudva %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return LV_EXIT_USAGE;
}
