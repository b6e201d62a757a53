/*
 * remote: one running controller seen over HTTP, for `loudva console
 * --attach URL`. Two threads per controller keep a copy of what an
 * embedded console reads from its runtime:
 *   - the poller GETs /status every refresh period into a snapshot
 *     (status_parse.h) and sends the changes queued by the console
 *     (POST /control/..., with the bearer token);
 *   - the streamer reads /control/events (server-sent events) into a local
 *     event log, resuming after the last id it saw (Last-Event-ID).
 * A controller that does not answer is marked gone (with why), noted in the
 * log, and tried again every second by both threads until it is back.
 *
 * The console's thread only takes copies (lv_remote_take, lv_remote_state,
 * lv_remote_answer) and queues changes (lv_remote_post): it never waits on
 * the network.
 */
#ifndef LV_REMOTE_H
#define LV_REMOTE_H

#include <stddef.h>

struct lv_remote;
struct lv_snapshot;
struct lv_eventlog;

/*
 * Starts watching the controller at url ("http://host:port", a trailing /
 * is dropped); token (copied; NULL: none) goes with every change and the
 * event stream. Polls /status every period_ms. Never fails for an
 * unreachable controller (it shows as gone); NULL with *why only for a URL
 * that is not http(s)://.
 */
struct lv_remote *lv_remote_new(const char *url, const char *token, int period_ms, char **why);

/* Stops both threads (at most a second or so) and frees. NULL is fine. */
void lv_remote_free(struct lv_remote *r);

const char *lv_remote_url(const struct lv_remote *r);

/* The newest snapshot since the last call (the caller owns it: lv_snapshot_free), or NULL. */
struct lv_snapshot *lv_remote_take(struct lv_remote *r);

/* The log the stream fills (and the console notes into); lives as long as r. */
struct lv_eventlog *lv_remote_log(struct lv_remote *r);

/* 1 when the last /status poll was answered; else 0 with why in buf (empty before the first). */
int lv_remote_up(struct lv_remote *r, char *buf, size_t len);

/*
 * Queues POST url+path with the JSON body (NULL: none); the poller sends
 * it. `what` (copied) says what was asked, for the answer.
 */
void lv_remote_post(struct lv_remote *r, const char *path, const char *body, const char *what);

/* The same with another method: "POST" or "DELETE". */
void lv_remote_request(struct lv_remote *r, const char *method, const char *path, const char *body,
                       const char *what);

/* The controller's experiment, as the last /status carried it ("experiment"). */
struct lv_remote_exp {
	int state; /* enum lv_ui_exp_state; a stopped one is FAILED */
	char spec[64];
	size_t done, total; /* runs finished / in the matrix, this pass */
	int pass, passes;
	double elapsed_s;
	char message[200];
	char out_dir[256]; /* its report directory, on the controller's host */
	char summary[256]; /* its summary table there, once done; "" before */
};

/* 1 with *out when the controller runs experiments (its /status says); else 0. */
int lv_remote_experiment(struct lv_remote *r, struct lv_remote_exp *out);

/*
 * The next answer to a queued change, oldest first: 1 with the message in
 * buf ("what" on success; on a refusal the controller's error and its
 * HTTP status) and *error set; 0 when none is waiting.
 */
int lv_remote_answer(struct lv_remote *r, char *buf, size_t len, int *error);

#endif
