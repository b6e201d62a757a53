/*
 * serve_exp: experiments for `loudva serve`'s control API
 * (POST/GET/DELETE /control/experiment, /status's "experiment"). One at a
 * time, as the console runs them (exprun.h): a child `loudva --batch SPEC
 * --out DIR` — a live spec runs its own embedded cluster there, as
 * `loudva --batch` does, beside the controller rather than through it.
 * Its start, each finished run, its end, failure or stop go to the
 * controller's event log (source "experiment"), hence to /control/events.
 *
 * Connection threads call the front end's ops concurrently; serve's main
 * thread calls lv_serve_exp_poll. The child is spawned on the main thread
 * (a start waits for it, a poll period or so): the child's parent-death
 * signal follows the thread that forked it, and connection threads end.
 */
#ifndef LV_SERVE_EXP_H
#define LV_SERVE_EXP_H

struct lv_serve_exp;
struct lv_eventlog;
struct lv_live;
struct lv_frontend_exp_ops;

/* results_dir NULL: the state dir's results/. Events go to lv's log (borrowed). */
struct lv_serve_exp *lv_serve_exp_new(const char *results_dir, struct lv_live *lv);

/* The ops for lv_frontend_set_experiments, with the lv_serve_exp as their arg. */
const struct lv_frontend_exp_ops *lv_serve_exp_ops(void);

/* Starts what was asked, reads the child's progress, logs what changed. Never blocks. */
void lv_serve_exp_poll(struct lv_serve_exp *x);

/*
 * Refuses new starts (a start waiting is answered) and sends a running
 * child SIGTERM. Call before the front end stops. NULL is fine.
 */
void lv_serve_exp_close(struct lv_serve_exp *x);

/* Closes, stops the child (SIGTERM, then SIGKILL), frees. After the front end stopped. NULL is
 * fine. */
void lv_serve_exp_free(struct lv_serve_exp *x);

#endif
