/*
 * live_timeline: the sampling glue for a live run's power timeline (live.h,
 * lv_live_timeline); the arithmetic is sched/timeline.c's.
 *
 * While the controller runs with sample_s > 0, the engine thread appends
 * each telemetry sample's (time, device energy since start) to the device's
 * series — the energy as live_telemetry.c accounts it from the agent's
 * cumulative counter, so a restarted agent's reset counter is already
 * smoothed out. At shutdown the series become the cluster's timeline, the
 * window's ends pinned to the device energies the result charges there
 * (lv_live_result), so the timeline's integral is the result's energy.
 *
 * The timeline is sim.h's struct lv_timeline (cluster series only), the
 * type the console reads a simulated run's timeline in too; this is the one
 * live file that needs its definition.
 *
 * Memory: two doubles per telemetry sample (at the default 4 Hz, 64 bytes a
 * second per device), kept only when a timeline was asked for.
 */
#include "live_internal.h"

#include <stdlib.h>

#include "model/cluster.h"
#include "sched/timeline.h"
#include "base/util.h"

void live_timeline_sample(struct lv_live *lv, int device, double now)
{
	if (!(lv->cfg.sample_s > 0))
		return;
	lv_energy_series_add(&lv->series[device], now, lv->devs[device].energy_j);
}

void live_timeline_build(struct lv_live *lv, double start_s, double end_s, const double *e_start,
                         const double *e_end)
{
	double *power_w = NULL;
	size_t n = lv_timeline_power(lv->series, lv->cluster->n_devices, start_s, end_s, e_start,
	                             e_end, lv->cfg.sample_s, &power_w);
	if (n == 0)
		return;
	struct lv_timeline *tl = lv_xcalloc(1, sizeof(*tl));
	tl->sample_s = lv->cfg.sample_s;
	tl->n = n;
	tl->cluster_w = power_w;
	lv->timeline = tl;
}

void live_timeline_free(struct lv_live *lv)
{
	for (size_t d = 0; lv->series && d < lv->cluster->n_devices; d++)
		lv_energy_series_fini(&lv->series[d]);
	free(lv->series);
	lv->series = NULL;
	if (lv->timeline)
		free(lv->timeline->cluster_w);
	free(lv->timeline);
	lv->timeline = NULL;
}
