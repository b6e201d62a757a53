/*
 * nvpmodel_ctl: a real board's power modes — its nvpmodel configuration,
 * the mode it is in, and switching modes by running `nvpmodel -m ID` —
 * for the real backend (backend_jetson.c), which resolves the paths under
 * its root and serialises switches with its clock pins.
 *
 * The configuration is read once, when the control is made: a board's
 * modes change only with its BSP. The current mode is read from the
 * status file nvpmodel writes on every call that needs it (a small file,
 * cheap enough for every telemetry request); when that file is missing or
 * unreadable, from what `nvpmodel -q` printed when the control was made or
 * after the last switch — never a child per request. Every run of nvpmodel
 * has stdin /dev/null (it never waits at a prompt), its own process group,
 * and a deadline after which the group is killed. Thread-safe.
 */
#ifndef LV_NVPMODEL_CTL_H
#define LV_NVPMODEL_CTL_H

#include "backend.h"

struct lv_nvp_ctl;

struct lv_nvp_paths {
	const char *conf;   /* <root>/etc/nvpmodel.conf */
	const char *status; /* <root>/var/lib/nvpmodel/status */
	const char *binary; /* the nvpmodel program */
	double timeout_s;   /* a run's deadline */
};

/*
 * Reads the configuration (paths borrowed for the call). Never NULL: a
 * board without one has no modes, which lv_nvp_ctl_info reports. Caller
 * frees with lv_nvp_ctl_free (accepts NULL).
 */
struct lv_nvp_ctl *lv_nvp_ctl_new(const struct lv_nvp_paths *p);
void lv_nvp_ctl_free(struct lv_nvp_ctl *c);

/* The modes and the current one into *out (its current index -1 beforehand). */
void lv_nvp_ctl_info(struct lv_nvp_ctl *c, struct lv_power_info *out);

/*
 * The current mode for telemetry: 1 with *id, name (LV_NVP_NAME_MAX
 * bytes; "" when the configuration lacks the id), *capped and *cap_hz (the
 * mode's GPU MAX_FREQ), or 0 when unknown.
 */
int lv_nvp_ctl_current(struct lv_nvp_ctl *c, int *id, char *name, int *capped, uint64_t *cap_hz);

/*
 * Switches to mode id (see lv_backend_set_power_mode for the errors).
 * *from_id gets the mode before (-1 unknown).
 */
int lv_nvp_ctl_set(struct lv_nvp_ctl *c, int id, int *from_id, char **why);

#endif
