/*
 * agent_main: the loudva-agent program — options, start-up (token, backend,
 * model configuration, shared memory table, HTTP server), the wait for
 * SIGTERM/SIGINT or the end of --duration, and an orderly shutdown: blocked
 * infer requests are failed, the HTTP threads joined, shared memory regions
 * unmapped, the backend closed (its tegrastats child stopped). Exit status:
 * 0 after a clean stop, 1 when start-up failed at run time (the address is
 * taken), 2 for bad arguments or files — every one of them, --listen
 * included, with one line naming the option or file.
 *
 * Reachable from the network (--listen beyond loopback) the agent wants a
 * token file (every endpoint but /healthz then needs the token) and TLS
 * (--tls-cert/--tls-key), or --plain-http to say that the token may cross
 * the network in clear; these are checked before anything is bound.
 *
 * Signals are blocked in every thread but this one (threads inherit the
 * mask from here), and the handler only sets a flag that the main loop polls
 * every 50 ms, so a stop takes well under a second.
 */
#include "agent.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "base/datapath.h"
#include "base/file.h"
#include "base/clock.h"
#include "base/util.h"
#include "model/predictor.h"

#define DEFAULT_MODEL     "inception_graphdef"
#define DEFAULT_CLUSTER   "profiles/clusters/thesis.json"
#define DEFAULT_PREDICTOR "profiles/.cache/predictor.json" /* in a checkout, see datapath.h */
/* 64 Inception images of FP32 299×299×3, plus room for the JSON header */
#define DEFAULT_MAX_BODY ((size_t)64 * 299 * 299 * 3 * 4 + ((size_t)1 << 20))

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: loudva-agent [OPTIONS]\n\n"
	        "The LoudVA worker daemon: GPU clock control and power telemetry over HTTP,\n"
	        "for a real Jetson or an emulated one (which also serves KServe v2 infer,\n"
	        "its inputs in the body or, from colocated clients, in POSIX shared memory\n"
	        "registered under /v2/systemsharedmemory: Triton's system shared memory\n"
	        "extension, mapped read-only, at most 256 regions and 8 GiB).\n\n"
	        "  --listen ADDR:PORT      address to serve [127.0.0.1:5000]; port 0 picks a free\n"
	        "                          port; binding beyond loopback must be asked for\n"
	        "  --port-file FILE        write the bound port to FILE\n"
	        "  --token-file FILE       bearer token (mode 0600) for requests that change\n"
	        "                          state; without one they are refused with 401.\n"
	        "                          Needed beyond loopback, where every request but\n"
	        "                          /healthz needs it\n"
	        "  --require-token         every request but /healthz needs the token, also on\n"
	        "                          loopback\n"
	        "  --tls-cert FILE         serve HTTPS with this PEM certificate (chain)\n"
	        "  --tls-key FILE          and its unencrypted PEM private key (mode 0600)\n"
	        "  --plain-http            beyond loopback without TLS (the token crosses the\n"
	        "                          network in clear); refused otherwise\n"
	        "  --emulate KIND          emulate agx-xavier, xavier-nx or nano\n"
	        "  --data-dir DIR          look for profiles/ and model_repository/ in DIR\n"
	        "                          first (sets $LOUDVA_DATA_DIR; see loudva-agent(8))\n"
	        "  --profile FILE          the kind's profile [profiles/KIND.json on the data\n"
	        "                          path]\n"
	        "  --mode prof|fill|pred   the emulation's cost table [prof]\n"
	        "  --cluster FILE          pred/fill: profiles the predictor learns from\n"
	        "                          [profiles/clusters/thesis.json]\n"
	        "  --predictor FILE        pred/fill: predictor cache [the checkout's\n"
	        "                          profiles/.cache/, else ~/.cache/loudva/]\n"
	        "  --model-repository DIR  Triton model configurations [model_repository]\n"
	        "  --model NAME            an emulated model; again for more (as tritonserver's\n"
	        "                          --load-model: a model and its wire formats'\n"
	        "                          ensembles on one device) [" DEFAULT_MODEL "]\n"
	        "  --sysfs-root DIR        real board: prefix of /sys and /proc [/]\n"
	        "  --tegrastats CMD|FILE   real board: a command, or a log replayed one line per\n"
	        "                          interval and looped [tegrastats --interval 200]\n"
	        "  --tegrastats-interval S sampling interval [0.2]\n"
	        "  --nvpmodel PATH         real board: the nvpmodel program that PUT /power/mode\n"
	        "                          runs [<sysfs-root>/usr/sbin/nvpmodel]\n"
	        "  --nvpmodel-timeout S    a run of it is killed after S seconds [20]\n"
	        "  --log FILE              append the log to FILE [stderr]\n"
	        "  --duration S            exit cleanly after S seconds\n"
	        "  --max-body BYTES        largest request body [%zu]\n"
	        "  --max-connections N     connections served at once; more get 503 [64]\n"
	        "  --max-connections-per-client N\n"
	        "                          connections from one address; more are refused [32]\n"
	        "  --timeout S             idle connection timeout [30]\n"
	        "  --version, --help\n",
	        DEFAULT_MAX_BODY);
	if (!lv_predictor_available())
		fprintf(f, "\nBuilt without the cost predictor (make agent): --mode prof only.\n");
}

struct args {
	struct lv_agent_options o;
	struct lv_listen listen;
	const char *models[LV_AGENT_MODELS_MAX]; /* --model, in order; none: DEFAULT_MODEL */
	size_t n_models;
	char *profile_buf, *predictor_buf, *cluster_buf, *repo_buf;
};

static int bad(const char *opt, const char *v, const char *what)
{
	fprintf(stderr, "loudva-agent: %s: '%s': %s\n", opt, v, what);
	return 2;
}

/*
 * --listen, resolved, and what it takes to listen there: beyond loopback a
 * token file, and TLS or --plain-http. 0 or exit status 2.
 */
static int check_exposure(struct args *g)
{
	const struct lv_agent_options *o = &g->o;
	char *why = NULL;
	if (lv_agent_listen_parse(o->listen, &g->listen, &why) != 0) {
		fprintf(stderr, "loudva-agent: %s\n", why);
		free(why);
		return 2;
	}
	if (!o->tls_cert != !o->tls_key)
		return bad(o->tls_cert ? "--tls-cert" : "--tls-key",
		           o->tls_cert ? o->tls_cert : o->tls_key,
		           "--tls-cert and --tls-key go together");
	if (o->tls_cert && o->plain_http)
		return bad("--plain-http", "", "contradicts --tls-cert/--tls-key");
	if (o->require_token && !o->token_file)
		return bad("--require-token", "", "needs --token-file FILE");
	if (g->listen.loopback)
		return 0;
	if (!o->token_file)
		return bad("--listen", o->listen,
		           "beyond loopback, the agent needs --token-file FILE (every request but "
		           "/healthz then needs the token)");
	if (!o->tls_cert && !o->plain_http)
		return bad("--listen", o->listen,
		           "beyond loopback, give --tls-cert FILE --tls-key FILE (else the token "
		           "crosses the network in clear), or --plain-http to accept that");
	return 0;
}

/* Parses argv into *g. 0 to run, -1 when done (help/version), else an exit status. */
static int parse_args(int argc, char **argv, struct args *g)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "token-file", required_argument, NULL, 't' },
		{ "emulate", required_argument, NULL, 'e' },
		{ "profile", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "predictor", required_argument, NULL, 'r' },
		{ "model-repository", required_argument, NULL, 'R' },
		{ "model", required_argument, NULL, 'M' },
		{ "sysfs-root", required_argument, NULL, 's' },
		{ "tegrastats", required_argument, NULL, 'T' },
		{ "tegrastats-interval", required_argument, NULL, 'I' },
		{ "nvpmodel", required_argument, NULL, 'W' },
		{ "nvpmodel-timeout", required_argument, NULL, 'w' },
		{ "log", required_argument, NULL, 'L' },
		{ "duration", required_argument, NULL, 'd' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "max-connections", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "plain-http", no_argument, NULL, 'H' },
		{ "require-token", no_argument, NULL, 'A' },
		{ "max-connections-per-client", required_argument, NULL, 'N' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lv_agent_options *o = &g->o;
	*o = (struct lv_agent_options){ .listen = "127.0.0.1:5000",
		                        .mode = LV_COST_PROF,
		                        .model_repository = "model_repository",
		                        .tegrastats_interval_s = 0.2,
		                        .nvpmodel_timeout_s = 20,
		                        .max_body = DEFAULT_MAX_BODY,
		                        .max_connections = 64,
		                        .max_per_client = 32,
		                        .conn_timeout_s = 30 };
	int c;
	double d;
	long l;
	unsigned long long u;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'P': o->port_file = optarg; break;
		case 't': o->token_file = optarg; break;
		case 'e': o->emulate = optarg; break;
		case 'p': o->profile = optarg; break;
		case 'm':
			if (lv_cost_mode_parse(optarg, &o->mode) != 0)
				return bad("--mode", optarg, "expected prof, fill or pred");
			break;
		case 'c': o->cluster = optarg; break;
		case 'D': setenv(LV_DATA_DIR_ENV, optarg, 1); break;
		case 'r': o->predictor = optarg; break;
		case 'R': o->model_repository = optarg; break;
		case 'M':
			for (size_t i = 0; i < g->n_models; i++)
				if (!strcmp(g->models[i], optarg))
					return bad("--model", optarg, "given twice");
			if (g->n_models == LV_AGENT_MODELS_MAX)
				return bad("--model", optarg, "too many models (at most 8)");
			g->models[g->n_models++] = optarg;
			break;
		case 's': o->sysfs_root = optarg; break;
		case 'T': o->tegrastats = optarg; break;
		case 'I':
			if (lv_parse_double(optarg, &d) != 0 || !(d > 0) || d > 60)
				return bad("--tegrastats-interval", optarg,
				           "expected seconds in (0, 60]");
			o->tegrastats_interval_s = d;
			break;
		case 'W': o->nvpmodel = optarg; break;
		case 'w':
			if (lv_parse_double(optarg, &d) != 0 || !(d > 0) || d > 600)
				return bad("--nvpmodel-timeout", optarg,
				           "expected seconds in (0, 600]");
			o->nvpmodel_timeout_s = d;
			break;
		case 'L': o->log_path = optarg; break;
		case 'd':
			if (lv_parse_double(optarg, &d) != 0 || !(d > 0))
				return bad("--duration", optarg, "expected seconds > 0");
			o->duration_s = d;
			break;
		case 'b':
			if (lv_parse_u64(optarg, &u) != 0 || u == 0)
				return bad("--max-body", optarg, "expected a byte count > 0");
			o->max_body = (size_t)u;
			break;
		case 'n':
			if (lv_parse_long(optarg, &l) != 0 || l < 1 || l > 100000)
				return bad("--max-connections", optarg, "expected 1..100000");
			o->max_connections = (int)l;
			break;
		case 'o':
			if (lv_parse_long(optarg, &l) != 0 || l < 1 || l > 86400)
				return bad("--timeout", optarg, "expected seconds 1..86400");
			o->conn_timeout_s = (unsigned)l;
			break;
		case 'N':
			if (lv_parse_long(optarg, &l) != 0 || l < 1 || l > 100000)
				return bad("--max-connections-per-client", optarg,
				           "expected 1..100000");
			o->max_per_client = (int)l;
			break;
		case 'C': o->tls_cert = optarg; break;
		case 'K': o->tls_key = optarg; break;
		case 'H': o->plain_http = 1; break;
		case 'A': o->require_token = 1; break;
		case 'V': printf("loudva-agent %s\n", LV_AGENT_VERSION); return -1;
		case 'h': usage(stdout); return -1;
		default:
			fprintf(stderr, "loudva-agent: unknown or incomplete option '%s'\n",
			        argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad("arguments", argv[optind], "unexpected (options only)");
	if (o->emulate) {
		/* The data search path (base/datapath.h) for what was not given. */
		if (o->profile) {
			o->profile = g->profile_buf = lv_data_resolve(o->profile);
		} else {
			char *rel = lv_xasprintf("profiles/%s.json", o->emulate);
			o->profile = g->profile_buf = lv_data_find(rel);
			free(rel);
		}
		o->cluster = g->cluster_buf =
		    lv_data_resolve(o->cluster ? o->cluster : DEFAULT_CLUSTER);
		o->model_repository = g->repo_buf = lv_data_resolve(o->model_repository);
		if (!o->predictor)
			o->predictor = g->predictor_buf =
			    lv_data_cache_file(DEFAULT_PREDICTOR, "predictor.json");
	}
	if (!o->emulate && (o->profile || o->mode != LV_COST_PROF))
		return bad("--profile/--mode", o->profile ? o->profile : "",
		           "only with --emulate KIND");
	/* Here, not when the backend opens: before the cluster file is looked for. */
	if (o->mode != LV_COST_PROF && !lv_predictor_available())
		return bad(
		    "--mode", lv_cost_mode_name(o->mode),
		    "this loudva-agent was built without the cost predictor (make agent, no "
		    "XGBoost): the emulation runs from the measured profile alone, --mode prof; "
		    "build it with make for fill and pred");
	return check_exposure(g);
}

/*
 * The bearer token: the file's first line, trimmed. A file that group or
 * others may read is refused (it was once a warning in the log). 0 or
 * LV_EINVAL.
 */
static int load_token(struct lv_agent *a, char **why)
{
	if (!a->opt.token_file)
		return 0;
	char *text = lv_agent_read_small_file(a->opt.token_file, "--token-file", LV_AGENT_TOKEN_MAX,
	                                      1, NULL, why);
	if (!text)
		return LV_EINVAL;
	text[strcspn(text, "\r\n")] = '\0';
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		text[--n] = '\0';
	if (n == 0) {
		free(text);
		return lv_fail(why, LV_EINVAL, "%s: the token file is empty", a->opt.token_file);
	}
	a->token = text;
	a->token_all = a->opt.require_token || !a->listen.loopback;
	return 0;
}

/* The TLS certificate and key, checked to be PEM (the key private to its owner). */
static int load_tls(struct lv_agent *a, char **why)
{
	const struct lv_agent_options *o = &a->opt;
	if (!o->tls_cert)
		return 0;
	a->tls_cert =
	    lv_agent_read_small_file(o->tls_cert, "--tls-cert", LV_AGENT_PEM_MAX, 0, NULL, why);
	if (!a->tls_cert || lv_agent_pem_check("--tls-cert", o->tls_cert, a->tls_cert, 0, why))
		return LV_EINVAL;
	a->tls_key =
	    lv_agent_read_small_file(o->tls_key, "--tls-key", LV_AGENT_PEM_MAX, 1, NULL, why);
	if (!a->tls_key || lv_agent_pem_check("--tls-key", o->tls_key, a->tls_key, 1, why))
		return LV_EINVAL;
	return 0;
}

/*
 * Emulation: a model's config.pbtxt, its effective max batch and its wire
 * format (from its input's datatype: UINT8, uint8 pixels; BYTES, JPEGs;
 * else fp32), into the next of a->models.
 */
static int load_model(struct lv_agent *a, const char *model, char **why)
{
	char *dir = lv_path_join(a->opt.model_repository, model);
	char *path = lv_path_join(dir, "config.pbtxt");
	struct lv_agent_model *m = &a->models[a->n_models];
	*m = (struct lv_agent_model){ .wire = LV_WIRE_FP32 };
	int rc = lv_model_config_load(path, &m->cfg, why);
	if (rc == 0 && m->cfg.name[0] && strcmp(m->cfg.name, model) != 0)
		rc = lv_fail(why, LV_EINVAL, "%s: name: '%s', but the directory is '%s'", path,
		             m->cfg.name, model);
	if (rc == 0 && m->cfg.max_batch_size < 1)
		rc = lv_fail(why, LV_EINVAL,
		             "%s: max_batch_size: the emulation needs a batching model", path);
	a->n_models++; /* lv_triton_model_fini frees what it got */
	if (rc == 0) {
		snprintf(m->name, sizeof(m->name), "%s", model);
		m->max_batch = m->cfg.max_batch_size < a->backend->max_batch
		                   ? m->cfg.max_batch_size
		                   : a->backend->max_batch;
		m->sample_stride = lv_agent_sample_stride(&m->cfg);
		if (m->cfg.n_inputs > 0 && !strcmp(m->cfg.inputs[0].datatype, "UINT8"))
			m->wire = LV_WIRE_UINT8;
		else if (m->cfg.n_inputs > 0 && !strcmp(m->cfg.inputs[0].datatype, "BYTES"))
			m->wire = LV_WIRE_JPEG;
		rc = lv_triton_model_load(m, dir, why);
	}
	if (rc == 0)
		m->stats = lv_triton_stats_new(m->max_batch);
	free(path);
	free(dir);
	return rc;
}

static int open_backend(struct lv_agent *a, char **why)
{
	struct lv_backend_config cfg;
	lv_backend_config_default(&cfg);
	cfg.t0_s = a->t0_s;
	cfg.sysfs_root = a->opt.sysfs_root;
	cfg.tegrastats = a->opt.tegrastats;
	cfg.tegrastats_interval_s = a->opt.tegrastats_interval_s;
	cfg.nvpmodel = a->opt.nvpmodel;
	cfg.nvpmodel_timeout_s = a->opt.nvpmodel_timeout_s;
	cfg.kind = a->opt.emulate;
	cfg.profile_path = a->opt.profile;
	cfg.mode = a->opt.mode;
	cfg.cluster_path = a->opt.cluster;
	cfg.predictor_path = a->opt.predictor;
	a->backend = lv_backend_new(a->opt.emulate ? "emulated" : "jetson", &cfg, why);
	return a->backend ? 0 : LV_EINVAL;
}

static void wait_for_stop(struct lv_agent *a)
{
	while (!stop_requested) {
		double left =
		    a->opt.duration_s > 0 ? a->opt.duration_s - (lv_mono_s() - a->t0_s) : 1.0;
		if (left <= 0)
			break;
		double step = left < 0.05 ? left : 0.05;
		struct timespec ts = { 0, (long)(step * 1e9) };
		nanosleep(&ts, NULL); /* a signal cuts it short */
	}
}

static int install_signals(sigset_t *blocked)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(blocked);
	sigaddset(blocked, SIGTERM);
	sigaddset(blocked, SIGINT);
	return pthread_sigmask(SIG_BLOCK, blocked, NULL); /* inherited by the threads */
}

static int start(struct lv_agent *a, const struct args *g, char **why)
{
	int rc = load_token(a, why);
	if (rc == 0)
		rc = load_tls(a, why);
	if (rc == 0)
		rc = open_backend(a, why);
	if (rc == 0 && a->opt.emulate) {
		static const char *const dflt[] = { DEFAULT_MODEL };
		const char *const *names = g->n_models ? g->models : dflt;
		size_t n = g->n_models ? g->n_models : 1;
		a->models = lv_xcalloc(n, sizeof(*a->models));
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = load_model(a, names[i], why);
	}
	if (rc != 0)
		return 2;
	a->shm = lv_shm_table_new();
	rc = lv_agent_http_start(a, why);
	if (rc != 0)
		return rc == LV_EINVAL ? 2 : 1; /* a refused certificate is a bad file */
	if (a->opt.port_file) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%u\n", a->port);
		if (lv_write_file_atomic(a->opt.port_file, buf, (size_t)n, why) != 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	lv_set_oom_fn(lv_oom_print);
	struct args g;
	memset(&g, 0, sizeof(g));
	struct lv_agent a;
	memset(&a, 0, sizeof(a));
	char *why = NULL;
	sigset_t blocked;
	int rc = parse_args(argc, argv, &g);
	if (rc != 0)
		goto out;
	a.opt = g.o;
	a.listen = g.listen;
	/*
	 * An emulated batch sleeps until the device model says it is done, and
	 * Linux lets a timed sleep run up to the thread's timer slack late, 50 µs
	 * by default: every batch took that much longer than its profile, which
	 * at the controller's half load was a fifth of the time from dispatch to
	 * answer. 1 µs of slack, inherited by every thread started from here;
	 * emulation only (on a board, precise wake-ups would cost energy for
	 * nothing).
	 */
	if (a.opt.emulate)
		prctl(PR_SET_TIMERSLACK, 1000UL);
	a.t0_s = lv_mono_s();
	if (a.opt.log_path) {
		a.log = fopen(a.opt.log_path, "ae");
		if (!a.log) {
			rc = bad("--log", a.opt.log_path, "cannot open for appending");
			goto out;
		}
		setvbuf(a.log, NULL, _IOLBF, 0);
	}
	install_signals(&blocked);
	rc = start(&a, &g, &why);
	pthread_sigmask(SIG_UNBLOCK, &blocked, NULL);
	if (rc != 0) {
		lv_agent_log(&a, "%s", why ? why : "start-up failed");
		if (a.log)
			fprintf(stderr, "loudva-agent: %s\n", why ? why : "start-up failed");
		goto out;
	}
	lv_agent_log(&a, "listening on %s, port %u, %s (%s %s, %s)%s", a.opt.listen, a.port,
	             a.tls_cert ? "HTTPS" : "plain HTTP", lv_backend_name(a.backend),
	             a.backend->kind, a.backend->model,
	             !a.token      ? "; no token: state changes refused"
	             : a.token_all ? "; the token is needed for all but /healthz"
	                           : "; the token is needed for state changes");
	lv_agent_power_log(&a);
	if (!a.listen.loopback)
		lv_agent_log(&a,
		             "note: %s is beyond loopback: the agent is reachable from the "
		             "network%s",
		             a.opt.listen,
		             a.tls_cert ? "" : " and the token crosses it in clear (--plain-http)");
	wait_for_stop(&a);
	lv_agent_log(&a, "stopping (%s)", stop_requested ? "signal" : "--duration elapsed");
out:
	lv_backend_stop(a.backend);
	lv_agent_http_stop(&a);
	lv_shm_table_free(a.shm); /* no handler runs any more */
	lv_triton_model_fini(&a);
	lv_backend_free(a.backend);
	if (rc == 0)
		lv_agent_log(&a, "stopped after %llu requests", (unsigned long long)a.requests);
	if (a.log)
		fclose(a.log);
	free(a.token);
	free(a.tls_cert);
	free(a.tls_key);
	free(why);
	free(g.profile_buf);
	free(g.predictor_buf);
	free(g.cluster_buf);
	free(g.repo_buf);
	return rc < 0 ? 0 : rc;
}
