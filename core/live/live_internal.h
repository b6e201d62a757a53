/*
 * live_internal: the functions the live runtime's files share, file by
 * file, from the bottom up. A file calls only files listed above it (and
 * its completions, struct xfer_ops, are how the HTTP layer reaches the
 * files that made a transfer); live.c, the top, calls down into any of
 * them and nothing calls up into it. The state they share is in
 * live_state.h. Not for use outside core/live*.c.
 *
 *   live_pmode.c     power modes read, clocks held to their GPU caps (pure)
 *   live_events.c    the event log and the snapshot's recent activity
 *   live_record.c    the store, written off the engine thread
 *   live_timeline.c  the power timeline's samples (cfg.sample_s > 0)
 *   live_reqtab.c    the frame-id → request table
 *   live_http.c      libcurl transfers (the transport)
 *   live_infer.c     KServe v2 inference requests and answers
 *   live_device.c    each device's order of work and its clock
 *   live_shm.c       batches through Triton's system shared memory (same host)
 *   live_health.c    health, the engine's view of it, probes
 *   live_telemetry.c telemetry polls, the devices' energy
 *   live_dispatch.c  a batch from dispatch to served or failed
 *   live_stats.c     rolling figures and snapshots
 *   live_request.c   requests, terminal frames
 *   live_release.c   what the controller took on the devices, given back
 *   live.c           the engine thread, the hand-off, the loop, the API
 */
#ifndef LV_LIVE_INTERNAL_H
#define LV_LIVE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "live_state.h"

/* ---- live_events.c ---- */
struct live_events *live_events_new(size_t n_devices);
void live_events_free(struct live_events *ev);
/* One line in the event log (lv_live_log), stamped with the controller's clock. */
void live_note(struct lv_live *lv, enum lv_log_level level, const char *source, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
void live_events_dispatch(struct lv_live *lv, const struct lv_action *a);
void live_events_command(struct lv_live *lv, const struct cmd *c);
void live_events_health(struct lv_live *lv, int device, int from, int to);
/* A batch ended (ok), in the Device view's ring; a failure is logged with `why`, NULL: the
 * device's last error. */
void live_events_batch(struct lv_live *lv, const struct xfer *x, int ok, const char *why,
                       double now);
void live_events_frame(struct lv_live *lv, const struct lv_frame *f);
void live_events_arm(struct lv_live *lv, double now);
void live_events_explained(struct lv_live *lv, double now);
void live_events_fill(const struct lv_live *lv, struct lv_snapshot *o);

/* ---- live_record.c ---- */
int live_record_open(struct lv_live *lv, const char *path, const struct lv_store_run *run,
                     char **why);
void live_record_frame(struct lv_live *lv, const struct lv_frame *f);
void live_record_batch(struct lv_live *lv, const struct xfer *x, int ok, double now);
void live_record_telemetry(struct lv_live *lv, int device, double now);
void live_record_close(struct lv_live *lv, const struct lv_run_metrics *result);
/* The record's state now (all zero without a store), for the snapshot. Any thread. */
void live_record_snap(struct lv_live *lv, struct lv_snap_store *out);

/* ---- live_timeline.c ---- */
void live_timeline_sample(struct lv_live *lv, int device, double now);
void live_timeline_build(struct lv_live *lv, double start_s, double end_s, const double *e_start,
                         const double *e_end);
void live_timeline_free(struct lv_live *lv);

/* ---- live_reqtab.c ---- */
void live_reqtab_add(struct reqtab *t, struct lv_live_request *r);
/* The request holding frame_id and the frame's index there; NULL if none (answered). */
struct lv_live_request *live_req_of(struct lv_live *lv, uint64_t frame_id, uint32_t *index);
void live_reqtab_drop(struct reqtab *t, const struct lv_live_request *r);
void live_reqtab_fini(struct reqtab *t);

/* ---- live_http.c: transfers ---- */
/* A transfer to the device, ending through ops (borrowed; static in its creator's file). */
struct xfer *live_xfer_new(enum xfer_kind kind, int device, const struct xfer_ops *ops);
/* Removes x from the multi handle if started, lets ops->release go, frees x (NULL is fine). */
void live_xfer_free(struct lv_live *lv, struct xfer *x);
/* Starts x with a timeout of timeout_s. 0, or LV_ELIB (x->errbuf says why). */
int live_xfer_start(struct lv_live *lv, struct xfer *x, double timeout_s);
/* x could not start (x->errbuf says why): it fails, through its ops, next turn. */
void live_xfer_defer(struct lv_live *lv, struct xfer *x);
/* Completes each transfer that ended (ops->done), then frees it. */
void live_xfers_done(struct lv_live *lv, double now);
/* Frees every started or deferred transfer without completing it (shutdown). */
void live_xfers_abort(struct lv_live *lv);
void live_http_fini(struct lv_live *lv);

/* ---- live_infer.c ---- */
int live_infer_build(struct lv_live *lv, struct xfer *x, const struct lv_action *a);
void live_infer_header(struct lv_live *lv, struct xfer *x);
int live_infer_parse(struct lv_live *lv, struct xfer *x, char *why, size_t why_len);

/* ---- live_device.c: each device's order of work and its clock ---- */
/* The device's last_error: "what: code err" (err cut at 95 characters). */
void live_device_error(struct live_dev *d, const char *what, long code, const char *err);
/* Queues x behind the device's work and starts what may start. */
void live_device_queue(struct lv_live *lv, int device, struct xfer *x, double now);
/* Starts the device's waiting work up to the next clock change or registration. */
void live_device_pump(struct lv_live *lv, int device, double now);
/* A batch's transfer ended: it no longer counts as the device's work in flight. */
void live_device_infer_ended(struct lv_live *lv, const struct xfer *x);
/*
 * Asks for clock hz (boost: now, in the middle of the batch running; struct
 * lv_clock_set), held to the operator's pin and to the power mode's GPU cap
 * (the engine is told when either changes it). Returns the clock the device
 * is meant to run at: hz, the pin, or the clamped clock; 0 when no clock of
 * its kind is within the cap (then nothing is sent).
 */
uint64_t live_set_clock(struct lv_live *lv, int device, uint64_t hz, int boost, double now);
/* Every transfer freed, waiting ones too, and the devices' in-flight counts cleared. */
void live_devices_abort(struct lv_live *lv);

/* ---- live_shm.c ---- */
int live_shm_wanted(const struct lv_live *lv, int device);
/*
 * Puts batch x's tensors in a region of its device (x->region, x->shm_name)
 * when the device takes shared memory and there is room; returns the
 * region's registration for the caller to queue ahead of x when the region
 * is new, else NULL. x stays a body batch when it gets no region.
 */
struct xfer *live_shm_attach(struct lv_live *lv, struct xfer *x, double now);
/* Batch x lets go of its region (freed if it was dropped meanwhile). */
void live_shm_detach(struct lv_live *lv, struct xfer *x);
void live_shm_tick(struct lv_live *lv, int device, double now);
/* The device's regions unregistered and retired: the next batch registers afresh. */
void live_shm_drop(struct lv_live *lv, int device);
/* The names of the device's registered regions (*names: caller frees). */
size_t live_shm_names(const struct lv_live *lv, int device, char (**names)[64]);
void live_shm_free_all(struct lv_live *lv);

/* ---- live_health.c ---- */
/* Tells the engine the device's state: the operator's wish, then health. */
void live_sync_state(struct lv_live *lv, int device, double now);
void live_health_set(struct lv_live *lv, int device, enum live_health h, double now);
/* Probes the device if it is not up and its probe is due. */
void live_health_tick(struct lv_live *lv, int device, double now);
/* When the next probe is due (INFINITY: none). */
double live_health_next(const struct lv_live *lv);

/* ---- live_telemetry.c ---- */
/* Polls the device's telemetry if it is due. */
void live_telemetry_tick(struct lv_live *lv, int device, double now);
/* When the next poll is due (INFINITY: none). */
double live_telemetry_next(const struct lv_live *lv);
/* Device i's energy since the start at now, J: the last sample's, plus its power since. */
double live_device_energy(const struct lv_live *lv, size_t i, double now);
double live_cluster_energy(const struct lv_live *lv, double now);

/* ---- live_dispatch.c ---- */
void live_dispatch(struct lv_live *lv, const struct lv_action *a, double now);

/* ---- live_stats.c ---- */
struct live_stats *live_stats_new(size_t n_devices, double now);
void live_stats_free(struct live_stats *s);
void live_stats_frame(struct live_stats *s, const struct lv_frame *f);
void live_stats_tick(struct lv_live *lv, double now);
void live_publish(struct lv_live *lv, double now);
void live_snapshot_ref(struct lv_snapshot *s);
int live_snapshot_unref(struct lv_snapshot *s); /* 1: that was the last reference */

/* ---- live_request.c ---- */
void live_request_answer(struct lv_live_request *r);
void live_request_refuse(struct lv_live_request *r, const char *reason);
void live_frame_final(struct lv_live *lv, const struct lv_frame *f);

/* ---- live_release.c ---- */
/* At shutdown, the clocks this controller set back to the governors, and its
 * shared-memory regions unregistered. */
void live_release(struct lv_live *lv);

#endif
