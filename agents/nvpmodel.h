/*
 * nvpmodel: a Jetson's power modes as NVIDIA's `nvpmodel` tool defines and
 * reports them, as numbers — the parsers of its three texts. No I/O: the
 * real backend (backend_jetson.c, through nvpmodel_ctl.c) reads the files
 * and runs the tool; the unit tests and the fuzz harness feed text.
 *
 * 1. The configuration, /etc/nvpmodel.conf (on JetPack a symlink to the
 *    board's file under /etc/nvpmodel/), in the format its own header
 *    describes (sources in tests/agent/fixtures/README.md):
 *      < PARAM TYPE=CLOCK NAME=GPU >        a knob and its sysfs files
 *      MAX_FREQ /sys/.../max_freq
 *      < POWER_MODEL ID=2 NAME=MODE_30W >   one mode
 *      CPU_ONLINE CORE_4 1                  PARAM ARG VALUE
 *      GPU MAX_FREQ 612000000               (Hz; -1 means INT_MAX: no cap)
 *      TPC_POWER_GATING TPC_PG_MASK 240
 *      < PM_CONFIG DEFAULT=2 >              the mode a board boots in
 *    '#' starts a comment line; blanks around '<', '>' and '=' vary
 *    ("<PARAM TYPE=CLOCK NAME=EMC >" occurs). Other "< KIND ... >" sections
 *    (FAN_CONFIG, ...) are accepted and their lines skipped.
 *    Of each mode the parser keeps its id, name, the GPU's MAX_FREQ and
 *    the TPC_POWER_GATING mask: NVIDIA's own front end to nvpmodel treats a
 *    switch between modes whose masks differ as one that needs a reboot.
 *    A line it cannot read is counted and the first few are kept with
 *    their line numbers — never fatal; a file with no mode at all is.
 * 2. The status file nvpmodel writes, /var/lib/nvpmodel/status:
 *    "pmode:0002 fmode:quiet" — the mode id in decimal.
 * 3. What `nvpmodel -q` prints: "NV Fan Mode:quiet" (some releases),
 *    "NV Power Mode: MODE_30W", then the id on a line of its own.
 */
#ifndef LV_NVPMODEL_H
#define LV_NVPMODEL_H

#include <stddef.h>
#include <stdint.h>

#define LV_NVP_NAME_MAX   64  /* a mode's name, NUL included */
#define LV_NVP_MAX_MODES  32  /* modes kept; more are malformed */
#define LV_NVP_MAX_ISSUES 4   /* malformed lines described */
#define LV_NVP_ISSUE_MAX  160 /* one description */

/* A malformed line: its number (from 1) and what is wrong with it. */
struct lv_nvp_issue {
	unsigned line;
	char what[LV_NVP_ISSUE_MAX];
};

struct lv_nvp_mode {
	int id;
	char name[LV_NVP_NAME_MAX];
	int gpu_capped;      /* a GPU MAX_FREQ other than -1 */
	uint64_t gpu_max_hz; /* gpu_capped: the GPU's cap */
	char tpc_pg[24];     /* TPC_POWER_GATING's value; "" when the mode sets none */
};

struct lv_nvp_conf {
	size_t n_modes;
	struct lv_nvp_mode modes[LV_NVP_MAX_MODES];    /* in file order */
	int default_id;                                /* PM_CONFIG DEFAULT; -1 when absent */
	unsigned malformed;                            /* lines not understood */
	size_t n_issues;                               /* min(malformed, LV_NVP_MAX_ISSUES) */
	struct lv_nvp_issue issues[LV_NVP_MAX_ISSUES]; /* the first ones */
};

/*
 * Parses len bytes of a configuration into *out (overwritten). 0 when it
 * holds at least one mode (malformed lines are only counted), LV_EINVAL
 * with *why when it holds none ("no POWER_MODEL section", or "line N: "
 * and the first issue). NUL bytes are malformed lines, not the end of the text.
 */
int lv_nvp_conf_parse(const char *text, size_t len, struct lv_nvp_conf *out, char **why);

/* The mode with this id, or NULL. */
const struct lv_nvp_mode *lv_nvp_find_id(const struct lv_nvp_conf *c, int id);
/* The mode with this name (exact, case-sensitive as nvpmodel's), or NULL. */
const struct lv_nvp_mode *lv_nvp_find_name(const struct lv_nvp_conf *c, const char *name);
/* 1 when switching between the two needs a reboot (their TPC masks differ). */
int lv_nvp_needs_reboot(const struct lv_nvp_mode *from, const struct lv_nvp_mode *to);

/*
 * The status file's text: the id after "pmode:". 0, or LV_EINVAL when
 * there is none or it is not a decimal number up to 9999.
 */
int lv_nvp_status_parse(const char *text, size_t len, int *id);

/*
 * `nvpmodel -q`'s output: *id from the line after "NV Power Mode: NAME",
 * the name into name[size]. 0, or LV_EINVAL when the output has no such
 * pair.
 */
int lv_nvp_query_parse(const char *text, size_t len, int *id, char *name, size_t size);

#endif
