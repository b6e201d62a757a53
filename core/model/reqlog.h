/*
 * reqlog: a controller's per-frame request log, as the thesis's controller
 * wrote it (Experiment 1's runs/POLICY/scenario_N.requests.csv): one row per
 * frame with
 *
 *     Request ID, Arrival Time, Queue Exit Time, Completion Time,
 *     Requested Latency, Timed Out
 *
 * (other columns ignored). Times are Unix epoch seconds taken by the
 * controller itself: Arrival Time when it had read the request's body,
 * Queue Exit Time when the frame's batch left for the device (empty for a
 * frame that never left), Completion Time when the request was answered
 * (the same for all its frames). Requested Latency is the request's budget
 * in seconds, Timed Out "True" or "False".
 *
 * The log tells what the controller actually received, which is not always
 * what the cameras meant to send: a server that stops accepting requests
 * for a while sees them later, in a burst, and its latencies start from
 * then. lv_reqlog_trace turns the log back into a trace (trace.h) of the
 * requests as the server received them, for a replay of the workload the
 * controller really saw; lv_reqlog_admission measures how far that was
 * from the scenario the cameras played.
 */
#ifndef LV_REQLOG_H
#define LV_REQLOG_H

#include <stddef.h>

struct lv_trace;

#define LV_REQLOG_ID_MAX 64

struct lv_reqlog_row {
	char req[LV_REQLOG_ID_MAX]; /* Request ID */
	double arrival;             /* epoch s */
	double exit;                /* epoch s; valid when has_exit */
	double done;                /* epoch s; NAN when empty */
	double budget_s;            /* Requested Latency, > 0 */
	int has_exit;
	int timed_out;
};

struct lv_reqlog {
	struct lv_reqlog_row *v; /* in file order */
	size_t n, cap;
};

/*
 * Reads a request log into *out (zeroed by the caller or a previous
 * lv_reqlog_fini). 0, or an error naming the file, line and column: a
 * missing column, an ID longer than LV_REQLOG_ID_MAX - 1, a number that is
 * not one, a budget not > 0, Timed Out other than True or False, or a log
 * with no rows. *out holds what was read either way; free it with
 * lv_reqlog_fini.
 */
int lv_reqlog_load(const char *path, struct lv_reqlog *out, char **why);

void lv_reqlog_fini(struct lv_reqlog *log);

/*
 * The log's requests as the controller received them: one trace request per
 * Request ID (its frames however they are spread over the file), at its
 * arrival less the log's first arrival plus first_s, with its Requested
 * Latency as the budget. The log has no camera index: every request is
 * camera 0, Throughput absent. NULL with *why when a request's rows disagree
 * on its arrival or budget.
 */
struct lv_trace *lv_reqlog_trace(const struct lv_reqlog *log, double first_s, char **why);

/* How late the controller received the frames, against the scenario played. */
struct lv_admission {
	size_t frames;   /* frames compared (the log's, equal to the scenario's) */
	double median_s; /* per-frame delay: median, 90th percentile, largest */
	double p90_s;
	double max_s;
};

/*
 * The k-th frame to arrive in the log against the k-th frame the scenario
 * sends (frames in time order): the difference, less the smallest
 * difference (the offset between the two clocks, which only the pair of
 * them fixes), over every frame. A run whose server took every request as it
 * came has a delay near 0 throughout; one that stopped accepting for a
 * while shows it as the delay of the frames sent meanwhile. LV_EINVAL with
 * *why when the two do not hold the same number of frames.
 */
int lv_reqlog_admission(const struct lv_reqlog *log, const struct lv_trace *scenario,
                        struct lv_admission *out, char **why);

#endif
