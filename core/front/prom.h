/*
 * prom: a snapshot (and the front end's counters) rendered for machines —
 * the Prometheus text exposition format for GET /metrics and a JSON
 * document for GET /status. Pure functions of plain data: no locks, no I/O,
 * tested on hand-made snapshots.
 *
 * Metric names are prefixed loudva_ and carry their unit (_seconds, _watts,
 * _joules, _hertz, _ratio); counters end in _total; every family has one
 * # HELP and one # TYPE line and its samples follow contiguously. Label
 * values are escaped (\\ \" \n). Optional device figures (power, energy,
 * load, temperature) are only emitted when the snapshot marks them valid,
 * so a missing reading is absent rather than a made-up zero.
 *
 * The latency histogram takes struct lv_snapshot's lat_counts as counts per
 * bucket (frames with bounds[i-1] < latency <= bounds[i]) and renders the
 * cumulative _bucket series Prometheus expects, ending in le="+Inf".
 */
#ifndef LV_PROM_H
#define LV_PROM_H

#include <stddef.h>

struct lv_snapshot;
struct lv_frontend_stats;

/* Content-Type of lv_prom_render's text. */
#define LV_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Renders s (NULL: the controller families are left out) and fe (NULL: the
 * HTTP families are left out) as Prometheus text. Returns a malloc'ed
 * NUL-terminated string (caller frees), its length in *len_out when non-NULL.
 */
char *lv_prom_render(const struct lv_snapshot *s, const struct lv_frontend_stats *fe,
                     size_t *len_out);

/*
 * loudva_build_info{version} (version NULL: left out) and the process_*
 * families Prometheus's client libraries export (p NULL, or a figure not
 * valid: left out), as Prometheus text; malloc'ed, length in *len_out.
 */
struct lv_proc_stats;
char *lv_prom_render_process(const struct lv_proc_stats *p, const char *version, size_t *len_out);

/*
 * The /status document for s: policy, mode, cluster, uptime, queue, frame
 * counts by state, batches, rates (fps, power, energy, frames per joule,
 * QoS), latency summary, the store's record ("store": rows written, lost
 * and pending by kind; null without a database) and one object per
 * device; with fe, "refused": the POST /inference requests the front end
 * refused and the frames they carried, in all and by reason (null without
 * fe). Numbers that are not finite, and optional device figures not
 * marked valid, are null. Returns a malloc'ed NUL-terminated string
 * (caller frees), length in *len_out.
 */
char *lv_prom_status_json(const struct lv_snapshot *s, const struct lv_frontend_stats *fe,
                          size_t *len_out);

/*
 * Formats v the way the exposition format reads it: the shortest decimal
 * that reads back to the same double, "NaN", "+Inf" or "-Inf". buf holds at
 * least 32 bytes. Returns buf.
 */
char *lv_prom_number(double v, char *buf);

#endif
