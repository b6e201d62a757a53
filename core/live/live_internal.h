/*
 * live_internal: the functions the live runtime's files share:
 *   live.c          the engine thread, the hand-off, the loop, the API
 *   live_request.c  requests, the frame-id table, terminal frames
 *   live_http.c     libcurl transfers to agents and Triton
 *   live_infer.c    KServe v2 inference requests and answers
 *   live_device.c   each device's order of work, dispatch, clock changes
 *   live_health.c   finished transfers, health, telemetry, probes, energy
 *   live_stats.c    rolling figures and snapshots
 *   live_record.c   the store, written off the engine thread
 *   live_events.c   the event log and the snapshot's recent activity
 *   live_timeline.c the power timeline (cfg.sample_s > 0)
 *   live_shm.c      batches through Triton's system shared memory (same host)
 * The state they share is in live_state.h; this header declares the
 * functions. Not for use outside core/live*.c.
 */
#ifndef LV_LIVE_INTERNAL_H
#define LV_LIVE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "live_state.h"

/* live_request.c */
void live_request_answer(struct lv_live_request *r);
void live_request_refuse(struct lv_live_request *r, const char *reason);
void live_frame_final(struct lv_live *lv, const struct lv_frame *f);

/* live_reqtab.c */
void live_reqtab_add(struct reqtab *t, struct lv_live_request *r);
struct lv_live_request *live_req_of(struct lv_live *lv, uint64_t frame_id, uint32_t *index);
void live_reqtab_drop(struct reqtab *t, const struct lv_live_request *r);
void live_reqtab_fini(struct reqtab *t);

/* live_http.c: transfers */
struct xfer *live_xfer_new(enum xfer_kind kind, int device);
void live_xfer_free(struct lv_live *lv, struct xfer *x);
int live_xfer_start(struct lv_live *lv, struct xfer *x, double timeout_s);
void live_xfers_done(struct lv_live *lv, double now);
void live_xfers_abort(struct lv_live *lv);
/* live_release.c: at shutdown, the clocks this controller set back to the governors,
 * and its shared-memory regions unregistered. */
void live_release(struct lv_live *lv);
/* live_shm.c */
int live_shm_wanted(const struct lv_live *lv, int device);
struct xfer *live_shm_attach(struct lv_live *lv, struct xfer *x, double now);
void live_shm_tick(struct lv_live *lv, int device, double now);
void live_shm_detach(struct lv_live *lv, struct xfer *x);
void live_shm_registered(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                         double now);
void live_shm_drop(struct lv_live *lv, int device);
size_t live_shm_names(const struct lv_live *lv, int device, char (**names)[64]);
const char *live_shm_region_name(const struct live_region *r);
size_t live_shm_region_size(const struct live_region *r);
void live_shm_free_all(struct lv_live *lv);
void live_infer_header(struct lv_live *lv, struct xfer *x);
int live_infer_build(struct lv_live *lv, struct xfer *x, const struct lv_action *a);
int live_infer_parse(struct lv_live *lv, struct xfer *x, char *why, size_t why_len);
void live_http_fini(struct lv_live *lv);

/* live_device.c: per-device order, health and telemetry */
void live_dispatch(struct lv_live *lv, const struct lv_action *a, double now);
void live_set_clock(struct lv_live *lv, int device, uint64_t hz, double now);
void live_device_pump(struct lv_live *lv, int device, double now);
void live_device_queue(struct lv_live *lv, int device, struct xfer *x, double now);
void live_xfer_finished(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                        double now);
void live_sync_state(struct lv_live *lv, int device, double now);
void live_devices_tick(struct lv_live *lv, double now);
double live_devices_next(const struct lv_live *lv);
double live_cluster_energy(const struct lv_live *lv, double now);

/* live_stats.c */
struct live_stats *live_stats_new(size_t n_devices, double now);
void live_stats_free(struct live_stats *s);
void live_stats_frame(struct live_stats *s, const struct lv_frame *f);
void live_stats_tick(struct lv_live *lv, double now);
void live_publish(struct lv_live *lv, double now);
void live_snapshot_ref(struct lv_snapshot *s);
int live_snapshot_unref(struct lv_snapshot *s); /* 1: that was the last reference */

/* live_events.c */
struct live_events *live_events_new(size_t n_devices);
void live_events_free(struct live_events *ev);
void live_note(struct lv_live *lv, enum lv_log_level level, const char *source, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
void live_events_dispatch(struct lv_live *lv, const struct lv_action *a);
void live_events_command(struct lv_live *lv, const struct cmd *c);
void live_events_health(struct lv_live *lv, int device, int from, int to);
void live_events_batch(struct lv_live *lv, const struct xfer *x, int ok, double now);
void live_events_frame(struct lv_live *lv, const struct lv_frame *f);
void live_events_arm(struct lv_live *lv, double now);
void live_events_explained(struct lv_live *lv, double now);
void live_events_fill(const struct lv_live *lv, struct lv_snapshot *o);

/* live_timeline.c */
void live_timeline_sample(struct lv_live *lv, int device, double now);
void live_timeline_build(struct lv_live *lv, double start_s, double end_s, const double *e_start,
                         const double *e_end);
void live_timeline_free(struct lv_live *lv);

/* live_record.c */
int live_record_open(struct lv_live *lv, const char *path, const struct lv_store_run *run,
                     char **why);
void live_record_frame(struct lv_live *lv, const struct lv_frame *f);
void live_record_batch(struct lv_live *lv, const struct xfer *x, int ok, double now);
void live_record_telemetry(struct lv_live *lv, int device, double now);
void live_record_close(struct lv_live *lv, const struct lv_run_metrics *result);

#endif
