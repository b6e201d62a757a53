/*
 * sim_ctl: the controller-and-wire stages of ctlmodel.h on the simulator's
 * virtual clock — intake, preparation (processor sharing), the link, and
 * the batch time-out. The simulator (sim.c) feeds it arrivals and
 * dispatches and carries out the events it returns, in time order, like a
 * device's (devmodel.h): admit frames to the engine, hand a batch to its
 * device, fail a batch that timed out.
 *
 * Every batch dispatched ends in exactly one of: delivered to its device
 * and later reported done (sim_ctl_batch_done), or timed out (a TIMEOUT
 * event, before or after delivery; a batch that times out on the device
 * still runs there, and its later completion is reported to no one).
 * Nothing is allocated per event once the arrays have grown.
 */
#ifndef LV_SIM_CTL_H
#define LV_SIM_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "model/ctlmodel.h"

enum sim_ctl_event_kind {
	SIM_CTL_ADMIT = 1,   /* frames of request `req` reach the engine */
	SIM_CTL_DELIVER = 2, /* batch reaches its device */
	SIM_CTL_TIMEOUT = 3, /* batch timed out: its frames failed */
};

struct sim_ctl_event {
	enum sim_ctl_event_kind kind;
	double time_s;
	/* ADMIT */
	size_t req;
	uint32_t frames;
	double arrival_s, budget_s;
	/* DELIVER, TIMEOUT */
	uint64_t batch_id;
	int device, batch;
	uint64_t freq_hz;
};

struct sim_ctl_intake {
	size_t req;
	uint32_t left;
	double arrival_s, budget_s;
};

struct sim_ctl_job {
	uint64_t batch_id;
	uint64_t seq; /* dispatch order: breaks ties between equal times */
	int device, batch;
	uint64_t freq_hz;
	double work; /* preparation left, processor-seconds (PREP); arrival time (LINK) */
};

struct sim_ctl_pending {
	uint64_t batch_id;
	double timeout_s;
	int state; /* 0 preparing, 1 on the link, 2 on the device, 3 settled */
};

struct sim_ctl {
	const struct lv_ctl_model *m; /* borrowed */
	double intake_period_s;

	struct sim_ctl_intake *in; /* ring */
	size_t in_head, in_len, in_cap;
	double next_tick_s;
	double tick_s;      /* the last poll: when, */
	uint32_t tick_left; /* and how many more frames it may read */

	struct sim_ctl_job *prep; /* batches in preparation */
	size_t n_prep, cap_prep;
	size_t prep_first; /* index of the job that comes first (while n_prep > 0) */
	uint64_t n_dispatched;
	double prep_mark_s; /* their work is up to date here */

	struct sim_ctl_job *link; /* batches on a link; work = when they arrive */
	size_t n_link, cap_link;
	double *link_free_s; /* per device: when its link is free */
	unsigned char *wire; /* per device: its enum lv_wire [fp32]; the driver sets it */
	size_t n_devices;

	struct sim_ctl_pending *pend; /* ring, in dispatch order (time-outs in order) */
	size_t p_head, p_len, p_cap;
};

void sim_ctl_init(struct sim_ctl *c, const struct lv_ctl_model *m, size_t n_devices,
                  double intake_period_s);
void sim_ctl_fini(struct sim_ctl *c);

/* Request `req` of `frames` frames arrived at now: it waits in the intake. */
void sim_ctl_arrive(struct sim_ctl *c, double now, size_t req, uint32_t frames, double budget_s);

/* The engine dispatched a batch at now: it starts its preparation. */
void sim_ctl_dispatch(struct sim_ctl *c, double now, uint64_t batch_id, int device, int batch,
                      uint64_t freq_hz);

/*
 * The device finished batch_id: 1 when the engine should hear of it, 0 when
 * the batch had timed out already (its frames are settled).
 */
int sim_ctl_batch_done(struct sim_ctl *c, uint64_t batch_id);

/* When the next event is due; +INF when none. */
double sim_ctl_next_s(const struct sim_ctl *c);

/* Runs the stages up to t and returns the next event due by t (1), or 0. */
int sim_ctl_advance(struct sim_ctl *c, double t, struct sim_ctl_event *ev);

/*
 * At the end of a run: hands over what is still in the intake, one request
 * at a time (ADMIT events at t), so that every frame reaches the engine and
 * ends in a terminal state. 0 when the intake is empty.
 */
int sim_ctl_drain_intake(struct sim_ctl *c, double t, struct sim_ctl_event *ev);

/* Frames still waiting in the intake. */
uint64_t sim_ctl_intake_frames(const struct sim_ctl *c);

#endif
