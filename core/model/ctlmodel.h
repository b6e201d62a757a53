/*
 * ctlmodel: the controller and the wire, as the twin sees them. Between a
 * camera's request and the GPU, and after it, a frame costs time the device
 * model (devmodel.h) knows nothing of: the controller reads it off its
 * intake, prepares the batch (decode, resize, tensor), sends it over a link
 * and waits for the answer, and gives up after its time-outs. A named
 * controller profile (profiles/controllers/NAME.json) holds these as
 * parameters shared by every policy; the simulator (sim.h) runs them when
 * a spec or a `loudva sim --controller` names one. Without one the twin is
 * today's ideal controller: no intake limit, no preparation, no wire.
 *
 * The stages, in a frame's order:
 *  1. Intake. Frames reach the scheduler through a queue it reads
 *     intake_per_poll frames at a time (0: all), once per turn of its loop:
 *     every poll_s, or the policy's own period where it has one (a policy
 *     that wakes every T reads its intake every T; policy.h, lv_policy_poll_s).
 *     Time spent in the intake counts against the frame's budget.
 *  2. Preparation. A dispatched batch needs batch_s + frame_s·b seconds of
 *     the controller's processor. Batches in preparation share cpus
 *     processors equally (processor sharing: n batches on one processor
 *     each progress at 1/n), which is how a thread-per-batch controller
 *     behaves, and why it collapses under overload: every batch slows down.
 *     A device whose wire format (wire.h) is not fp32 costs its format's
 *     frame_s and bytes_per_frame instead, where "wire" gives them
 *     ({"uint8": {"bytes_per_frame": ..., "frame_s": ...}, "jpeg": {...}});
 *     a format it does not give costs what fp32 does.
 *  3. The link. bytes_per_frame·b bytes go over the device's link at
 *     link_bps (0: no link stage), one batch after another, and arrive
 *     rtt_s later; then the batch queues on the device (devmodel.h).
 *  4. Time-outs. A batch not answered batch_timeout_s after its dispatch
 *     (0: never) fails: its frames end FAILED, and its request is never
 *     answered. A request not fully answered request_timeout_s after it
 *     arrived (0: never) is answered as timed out then.
 *  5. Busy timer. busy_timer = 1: a device counts as busy for the batch's
 *     expected latency (the scheduler's cost model) from dispatch, not
 *     until the batch comes back, so batches can pile up on it (engine.h,
 *     lv_engine_config.busy_timer).
 *
 * The thesis's accounting (spec "accounting": "thesis"; struct lv_acct):
 * energy is the board's power summed over tegrastats lines counted as
 * line_s each, lines really spacing_s apart, over a window that begins
 * lead_in_s before the run at lead_in_w and ends when the last request was
 * answered or timed out; frames per joule over every frame.
 */
#ifndef LV_CTLMODEL_H
#define LV_CTLMODEL_H

#include <stddef.h>

#include "wire.h"

#define LV_CTL_NAME_MAX   48
#define LV_CTL_SOURCE_MAX 1024

struct lv_acct {
	double line_s;    /* what each log line counts for, s */
	double spacing_s; /* what the lines are really apart, s */
	double lead_in_s; /* logged before the first request, s */
	double lead_in_w; /* board power meanwhile, W */
};

struct lv_ctl_model {
	char name[LV_CTL_NAME_MAX];
	char source[LV_CTL_SOURCE_MAX]; /* provenance: how the numbers were found */
	int intake_per_poll;            /* frames read per turn of the loop; 0: all */
	double poll_s;                  /* the loop's period unless the policy has one */
	double batch_s;                 /* preparation per batch, processor-seconds */
	double frame_s;                 /* preparation per frame, processor-seconds */
	double cpus;                    /* processors the preparation shares (> 0) */
	double bytes_per_frame;         /* on the wire */
	double link_bps;                /* bits/s; 0: no link stage */
	double rtt_s;                   /* link round trip */
	double batch_timeout_s;         /* 0: none */
	double request_timeout_s;       /* 0: none */
	int busy_timer;                 /* see above */
	int start_lowest;               /* devices start at their lowest clock */
	int start_cold;                 /* ... with the GPU power gated (devmodel.h, cold_start) */
	struct {
		int given;              /* the "wire" object has this format */
		double bytes_per_frame; /* on the wire, bytes */
		double frame_s;         /* preparation per frame, processor-seconds */
	} wire[LV_WIRE_COUNT];          /* [LV_WIRE_FP32] unused: the fields above */
	int has_acct;                   /* acct below was measured */
	struct lv_acct acct;
};

/* The ideal controller: every stage free, no time-outs, no accounting. */
void lv_ctl_model_ideal(struct lv_ctl_model *m);

/* 0 when m is usable; else LV_EINVAL with *why naming the field. */
int lv_ctl_model_check(const struct lv_ctl_model *m, char **why);

/*
 * Reads a controller profile (JSON). Unknown fields are errors naming the
 * file and the field. NULL-safe *why.
 */
int lv_ctl_model_load(const char *path, struct lv_ctl_model *m, char **why);

/*
 * Finds controller profile `name` as profiles/controllers/NAME.json beside
 * the profiles the cluster came from (dir: the profiles directory), or a
 * path if name holds a '/' or ends in .json.
 */
int lv_ctl_model_find(const char *profiles_dir, const char *name, struct lv_ctl_model *m,
                      char **why);

/* m as the JSON text lv_ctl_model_save writes (caller frees). */
char *lv_ctl_model_to_json(const struct lv_ctl_model *m);

/* Writes m as JSON to path, atomically (temporary file and rename). */
int lv_ctl_model_save(const char *path, const struct lv_ctl_model *m, char **why);

struct lv_profile;

/*
 * The thesis-python profile fitted from Experiment 1's logs under runs_dir
 * (requests, tegrastats, scenarios; method in ctl_fit.c and
 * profiles/README.md), with the AGX Xavier's profile for the GPU's own
 * share of a batch. Appends its account to *report (may be NULL). 0, or an
 * error naming the file, line and column.
 */
int lv_ctl_import_thesis(const char *runs_dir, const struct lv_profile *agx, struct lv_ctl_model *m,
                         char **report, char **why);

/* Preparation time of a batch of b frames on an otherwise idle controller. */
static inline double lv_ctl_prep_s(const struct lv_ctl_model *m, int b)
{
	return (m->batch_s + m->frame_s * (double)b) / (m->cpus < 1 ? m->cpus : 1);
}

/* Link time of a batch of b frames (transfer only, without the round trip). */
static inline double lv_ctl_link_s(const struct lv_ctl_model *m, int b)
{
	return m->link_bps > 0 ? m->bytes_per_frame * 8.0 * (double)b / m->link_bps : 0.0;
}

/* Bytes on the wire per frame to a device of format w. */
static inline double lv_ctl_wire_bytes(const struct lv_ctl_model *m, enum lv_wire w)
{
	return (unsigned)w < LV_WIRE_COUNT && w != LV_WIRE_FP32 && m->wire[w].given
	           ? m->wire[w].bytes_per_frame
	           : m->bytes_per_frame;
}

/* Preparation per frame for a device of format w, processor-seconds. */
static inline double lv_ctl_wire_frame_s(const struct lv_ctl_model *m, enum lv_wire w)
{
	return (unsigned)w < LV_WIRE_COUNT && w != LV_WIRE_FP32 && m->wire[w].given
	           ? m->wire[w].frame_s
	           : m->frame_s;
}

/* lv_ctl_link_s for a device of format w. */
static inline double lv_ctl_link_wire_s(const struct lv_ctl_model *m, enum lv_wire w, int b)
{
	return m->link_bps > 0 ? lv_ctl_wire_bytes(m, w) * 8.0 * (double)b / m->link_bps : 0.0;
}

#endif
