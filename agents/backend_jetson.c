/*
 * backend_jetson: a real Jetson. The board kind comes from
 * <root>/proc/device-tree/compatible (the Orin modules' part numbers) or
 * <root>/proc/device-tree/model; the GPU clock is devfreq's
 * (<root>/sys/devices/<gpu>/devfreq/<gpu>/{cur,min,max}_freq and
 * available_frequencies; on an Orin <root>/sys/class/devfreq/17000000.ga10b
 * or, JetPack 6, .../17000000.gpu); power per rail, GPU load, temperatures,
 * the memory (EMC) clock, RAM and CPU load come from tegrastats lines parsed
 * by tegrastats.c; temperatures, while tegrastats gives none, from
 * <root>/sys/class/thermal/thermal_zone*.
 *
 * Pinning writes min_freq and max_freq to the same clock in the order that
 * keeps min <= max at every step (the kernel refuses the other order):
 * raising above the current max writes max first, anything else writes min
 * first. Releasing restores the full range (max to the top clock, then min to
 * the lowest), which hands the clock back to devfreq's governor.
 *
 * Power modes (nvpmodel_ctl.c, under the same root: etc/nvpmodel.conf,
 * var/lib/nvpmodel/status, usr/sbin/nvpmodel): nvpmodel caps the GPU by
 * writing the mode's GPU MAX_FREQ to the same max_freq a pin writes, so a
 * pin above the current mode's cap is refused (it would lift the cap), and a
 * release's "top clock" is the highest within the cap. Mode switches take
 * the pin mutex: a switch rewrites the range, which ends a pin.
 *
 * Telemetry runs on one reader thread: either a child `sh -c CMD` in its own
 * process group (default `tegrastats --interval 200`; the whole group is
 * stopped with SIGTERM) whose stdout is read line by line, or
 * a log file replayed one line per interval, looping at EOF so a replaying
 * agent never goes stale (the meter treats the stamp going back as a break).
 * The reader feeds a tegrastats meter under its own mutex; telemetry copies
 * the newest sample out. Callers: the agent's HTTP threads, the unit tests.
 */
#include "backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"
#include "nvpmodel_ctl.h"
#include "agent_spawn.h"

struct board {
	const char *needle; /* matched in the model string, in table order */
	const char *kind;
};

/*
 * Orin first: "Orin Nano" also says Nano. "Xavier NX" before "Xavier": an
 * NX's model string also says Xavier.
 */
static const struct board boards[] = {
	{ "AGX Orin", "agx-orin" },   { "Orin NX", "orin-nx" },
	{ "Orin Nano", "orin-nano" }, { "Nano", "nano" },
	{ "Xavier NX", "xavier-nx" }, { "AGX", "agx-xavier" },
	{ "Xavier", "agx-xavier" },   { NULL, NULL },
};

/* Module part numbers in /proc/device-tree/compatible (NVIDIA's Jetson module names). */
static const struct board modules[] = {
	{ "p3701-", "agx-orin" },
	{ "p3767-0000", "orin-nx" },
	{ "p3767-0001", "orin-nx" },
	{ "p3767-0003", "orin-nano" },
	{ "p3767-0004", "orin-nano" },
	{ "p3767-0005", "orin-nano" },
	{ NULL, NULL },
};

#define ORIN_DIRS "sys/class/devfreq/17000000.ga10b", "sys/class/devfreq/17000000.gpu", NULL

static const char *const nano_dirs[] = { "sys/devices/57000000.gpu/devfreq/57000000.gpu", NULL };
static const char *const xavier_dirs[] = { "sys/devices/17000000.gv11b/devfreq/17000000.gv11b",
	                                   NULL };
static const char *const orin_dirs[] = { ORIN_DIRS };

static const struct {
	const char *kind;
	const char *const *dirs;
} devfreq_dirs[] = {
	{ "nano", nano_dirs },
	{ "xavier-nx", xavier_dirs },
	{ "agx-xavier", xavier_dirs },
	{ "agx-orin", orin_dirs },
	{ "orin-nx", orin_dirs },
	{ "orin-nano", orin_dirs },
	{ NULL, NULL },
};

const char *lv_backend_jetson_kind(const char *model)
{
	for (size_t i = 0; boards[i].needle; i++)
		if (strstr(model, boards[i].needle))
			return boards[i].kind;
	return NULL;
}

const char *lv_backend_jetson_kind_compat(const char *compatible, size_t len)
{
	const char *end = compatible + len;
	for (const char *s = compatible; s < end; s += strnlen(s, (size_t)(end - s)) + 1) {
		char entry[128];
		snprintf(entry, sizeof(entry), "%.*s", (int)strnlen(s, (size_t)(end - s)), s);
		for (size_t i = 0; modules[i].needle; i++)
			if (strstr(entry, modules[i].needle))
				return modules[i].kind;
	}
	return NULL;
}

const char *const *lv_backend_jetson_devfreq_dirs(const char *kind)
{
	for (size_t i = 0; devfreq_dirs[i].kind; i++)
		if (!strcmp(devfreq_dirs[i].kind, kind))
			return devfreq_dirs[i].dirs;
	return NULL;
}

const char *lv_backend_jetson_devfreq_dir(const char *kind)
{
	const char *const *d = lv_backend_jetson_devfreq_dirs(kind);
	return d ? d[0] : NULL;
}

struct jet {
	char *devfreq; /* the devfreq directory (root included) */
	char *thermal; /* <root>/sys/class/thermal */
	double t0_s;
	struct lv_nvp_ctl *nvp; /* the power modes */
	pthread_mutex_t mu;     /* pin writes and power mode switches */
	int pinned;
	uint64_t target_hz;

	pthread_mutex_t tmu; /* everything below */
	pthread_cond_t stop_cv;
	struct lv_tegrastats_meter meter;
	int stop, alive;
	pthread_t reader;
	int have_reader;
	pid_t child; /* the tegrastats command's process (group), or 0 */
	FILE *in;    /* its stdout, or the replayed log */
	int replay;
};

/* ---- sysfs --------------------------------------------------------------------- */

static int read_u64(const char *dir, const char *name, uint64_t *out, char **why)
{
	char *path = lv_path_join(dir, name);
	char *text = lv_read_file(path, NULL, why);
	int rc = LV_EIO;
	if (!text)
		goto out;
	unsigned long long v;
	char *end;
	errno = 0;
	v = strtoull(text, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (end == text || *end || errno) {
		lv_fail(why, LV_EIO, "%s: '%.32s' is not a clock in Hz", path, text);
		goto out;
	}
	*out = v;
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

static int write_u64(const char *dir, const char *name, uint64_t v, char **why)
{
	char *path = lv_path_join(dir, name);
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)v);
	int rc = 0;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)len) != len)
		rc = lv_fail(why, LV_EIO, "%s: cannot write %llu: %s%s", path,
		             (unsigned long long)v, strerror(errno),
		             errno == EACCES
		                 ? " (the agent must run as root, as its systemd unit does)"
		                 : "");
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = lv_fail(why, LV_EIO, "%s: cannot write %llu: %s", path, (unsigned long long)v,
		             strerror(errno));
	free(path);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* available_frequencies: blank-separated Hz, any order → ascending, unique. */
static int read_available(struct lv_backend *b, const char *dir, char **why)
{
	char *path = lv_path_join(dir, "available_frequencies");
	char *text = lv_read_file(path, NULL, why);
	int rc = LV_EIO;
	if (!text)
		goto out;
	size_t n = 0, cap = 16;
	uint64_t *f = lv_xmalloc(cap * sizeof(*f));
	for (char *save = NULL, *t = strtok_r(text, " \t\n", &save); t;
	     t = strtok_r(NULL, " \t\n", &save)) {
		unsigned long long v;
		if (lv_parse_u64(t, &v) != 0 || v == 0) {
			lv_fail(why, LV_EIO, "%s: '%s' is not a clock in Hz", path, t);
			free(f);
			goto out;
		}
		if (n == cap)
			f = lv_xrealloc(f, (cap *= 2) * sizeof(*f));
		f[n++] = v;
	}
	if (n == 0) {
		lv_fail(why, LV_EIO, "%s: no clocks listed", path);
		free(f);
		goto out;
	}
	qsort(f, n, sizeof(*f), cmp_u64);
	size_t u = 1;
	for (size_t i = 1; i < n; i++)
		if (f[i] != f[u - 1])
			f[u++] = f[i];
	b->freqs_hz = f;
	b->n_freqs = u;
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

/* ---- tegrastats reader ----------------------------------------------------------- */

static void feed(struct jet *j, const char *line)
{
	pthread_mutex_lock(&j->tmu);
	lv_tegrastats_meter_feed(&j->meter, line);
	pthread_mutex_unlock(&j->tmu);
}

/* Sleeps until `deadline` (monotonic s) or stop. Returns 1 when stopping. */
static int sleep_until(struct jet *j, double deadline)
{
	struct timespec ts;
	ts.tv_sec = (time_t)floor(deadline);
	ts.tv_nsec = (long)((deadline - floor(deadline)) * 1e9);
	pthread_mutex_lock(&j->tmu);
	while (!j->stop && lv_mono_s() < deadline)
		if (pthread_cond_timedwait(&j->stop_cv, &j->tmu, &ts) == ETIMEDOUT)
			break;
	int stop = j->stop;
	pthread_mutex_unlock(&j->tmu);
	return stop;
}

static void *reader_main(void *arg)
{
	struct jet *j = arg;
	char *line = NULL;
	size_t cap = 0;
	double next = lv_mono_s();
	int lines_this_pass = 0;
	for (;;) {
		ssize_t n = getline(&line, &cap, j->in);
		if (n < 0) {
			if (!j->replay || lines_this_pass == 0)
				break;
			rewind(j->in); /* replay loops */
			lines_this_pass = 0;
			continue;
		}
		lines_this_pass++;
		feed(j, line);
		if (j->replay) {
			next += j->meter.interval_s;
			if (sleep_until(j, next))
				break;
		}
	}
	free(line);
	pthread_mutex_lock(&j->tmu);
	j->alive = 0;
	pthread_mutex_unlock(&j->tmu);
	return NULL;
}

static int spawn_command(struct jet *j, const char *cmd, char **why)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	int rd;
	int err = lv_spawn_reader("/bin/sh", argv, 0, &j->child, &rd);
	if (err != 0) {
		j->child = 0;
		return lv_fail(why, LV_EIO, "tegrastats: cannot run '%s': %s", cmd, strerror(err));
	}
	j->in = fdopen(rd, "r");
	if (!j->in) {
		close(rd);
		return lv_fail(why, LV_EIO, "tegrastats: fdopen: %s", strerror(errno));
	}
	return 0;
}

static int start_reader(struct jet *j, const struct lv_backend_config *cfg, char **why)
{
	double iv = cfg->tegrastats_interval_s > 0 ? cfg->tegrastats_interval_s : 0.2;
	lv_tegrastats_meter_init(&j->meter, iv);
	const char *src = cfg->tegrastats;
	char *dflt = NULL;
	if (src && !*src)
		return 0; /* no telemetry source */
	struct stat st;
	if (src && stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
		j->in = fopen(src, "re");
		if (!j->in)
			return lv_fail(why, LV_EIO, "%s: cannot open: %s", src, strerror(errno));
		j->replay = 1;
	} else {
		if (!src)
			src = dflt =
			    lv_xasprintf("tegrastats --interval %d", (int)lround(iv * 1000));
		int rc = spawn_command(j, src, why);
		free(dflt);
		if (rc != 0)
			return rc;
	}
	j->alive = 1;
	if (pthread_create(&j->reader, NULL, reader_main, j) != 0)
		return lv_fail(why, LV_EIO, "tegrastats: cannot start the reader thread");
	j->have_reader = 1;
	return 0;
}

static void stop_reader(struct jet *j)
{
	pthread_mutex_lock(&j->tmu);
	j->stop = 1;
	pthread_cond_broadcast(&j->stop_cv);
	pthread_mutex_unlock(&j->tmu);
	if (j->child > 0)
		kill(-j->child, SIGTERM); /* the group's stdout closes: the reader sees EOF */
	if (j->have_reader)
		pthread_join(j->reader, NULL);
	if (j->child > 0)
		waitpid(j->child, NULL, 0);
	if (j->in)
		fclose(j->in);
	j->in = NULL;
	j->child = 0;
	j->have_reader = 0;
}

/* ---- ops ------------------------------------------------------------------------ */

static void jet_free(struct jet *j)
{
	if (!j)
		return;
	stop_reader(j);
	pthread_cond_destroy(&j->stop_cv);
	pthread_mutex_destroy(&j->tmu);
	pthread_mutex_destroy(&j->mu);
	lv_nvp_ctl_free(j->nvp);
	free(j->devfreq);
	free(j->thermal);
	free(j);
}

static char *root_path(const char *root, const char *rel)
{
	if (!root || !*root || !strcmp(root, "/"))
		return lv_xasprintf("/%s", rel);
	return lv_xasprintf("%s%s%s", root, root[strlen(root) - 1] == '/' ? "" : "/", rel);
}

/* The kind from the compatible list, if the tree has one that names a known module. */
static const char *detect_compat(const char *root)
{
	char *path = root_path(root, "proc/device-tree/compatible");
	size_t len = 0;
	char *text = lv_read_file(path, &len, NULL);
	const char *kind = text ? lv_backend_jetson_kind_compat(text, len) : NULL;
	free(text);
	free(path);
	return kind;
}

static int detect(struct lv_backend *b, const char *root, char **why)
{
	char *path = root_path(root, "proc/device-tree/model");
	size_t len = 0;
	char *text = lv_read_file(path, &len, why);
	int rc = LV_EIO;
	if (!text)
		goto out;
	len = strnlen(text, len); /* the device tree's string ends with NUL */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	text[len] = '\0';
	snprintf(b->model, sizeof(b->model), "%s", text);
	const char *kind = detect_compat(root);
	if (!kind)
		kind = lv_backend_jetson_kind(text);
	if (!kind) {
		lv_fail(why, LV_EINVAL,
		        "%s: '%s' is not a board LoudVA knows (Jetson Nano, Xavier NX, AGX Xavier, "
		        "AGX Orin, Orin NX, Orin Nano; an Orin is also known by its module in "
		        "proc/device-tree/compatible)",
		        path, b->model);
		goto out;
	}
	snprintf(b->kind, sizeof(b->kind), "%s", kind);
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

/*
 * The first of the kind's devfreq directories that lists its clocks. With
 * none, the error names the file of the only candidate, or all of them.
 */
static int open_devfreq(struct lv_backend *b, struct jet *j, const char *root, char **why)
{
	const char *const *dirs = lv_backend_jetson_devfreq_dirs(b->kind);
	for (size_t i = 0; dirs[i]; i++) {
		char *dir = root_path(root, dirs[i]);
		char *probe = lv_path_join(dir, "available_frequencies");
		int there = access(probe, F_OK) == 0;
		free(probe);
		if (there || (i == 0 && !dirs[1])) {
			j->devfreq = dir;
			return read_available(b, dir, why);
		}
		free(dir);
	}
	return lv_fail(why, LV_EIO,
	               "%s: no GPU devfreq node: neither %s/available_frequencies nor "
	               "%s/available_frequencies under %s",
	               b->kind, dirs[0], dirs[1], root && *root ? root : "/");
}

/* The power modes: nvpmodel's files and program under the root (the program may be given). */
static void open_nvpmodel(struct jet *j, const struct lv_backend_config *cfg)
{
	char *conf = root_path(cfg->sysfs_root, "etc/nvpmodel.conf");
	char *status = root_path(cfg->sysfs_root, "var/lib/nvpmodel/status");
	char *bin = cfg->nvpmodel ? lv_xstrdup(cfg->nvpmodel)
	                          : root_path(cfg->sysfs_root, "usr/sbin/nvpmodel");
	struct lv_nvp_paths p = {
		.conf = conf,
		.status = status,
		.binary = bin,
		.timeout_s = cfg->nvpmodel_timeout_s,
	};
	j->nvp = lv_nvp_ctl_new(&p);
	free(conf);
	free(status);
	free(bin);
}

static int jet_open(struct lv_backend *b, const struct lv_backend_config *cfg, char **why)
{
	struct jet *j = lv_xcalloc(1, sizeof(*j));
	pthread_condattr_t ca;
	int rc;
	pthread_mutex_init(&j->mu, NULL);
	pthread_mutex_init(&j->tmu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->stop_cv, &ca);
	pthread_condattr_destroy(&ca);
	j->t0_s = cfg->t0_s;
	j->thermal = root_path(cfg->sysfs_root, "sys/class/thermal");
	rc = detect(b, cfg->sysfs_root, why);
	if (rc != 0)
		goto out;
	rc = open_devfreq(b, j, cfg->sysfs_root, why);
	if (rc != 0)
		goto out;
	open_nvpmodel(j, cfg);
	rc = start_reader(j, cfg, why);
	if (rc != 0)
		goto out;
	b->impl = j;
	j = NULL;
out:
	jet_free(j);
	return rc;
}

static void jet_close(struct lv_backend *b)
{
	jet_free(b->impl);
	b->impl = NULL;
}

static int jet_get_clock(struct lv_backend *b, struct lv_clock_state *out, char **why)
{
	struct jet *j = b->impl;
	int rc = read_u64(j->devfreq, "cur_freq", &out->freq_hz, why);
	pthread_mutex_lock(&j->mu);
	out->pinned = j->pinned;
	out->target_hz = j->pinned ? j->target_hz : 0;
	pthread_mutex_unlock(&j->mu);
	return rc;
}

/* Sets [min, max] to [lo, hi] keeping min <= max after every write. Under mu. */
static int set_range(struct jet *j, uint64_t lo, uint64_t hi, char **why)
{
	uint64_t cur_max;
	if (read_u64(j->devfreq, "max_freq", &cur_max, why) != 0)
		return LV_EIO;
	if (lo > cur_max) { /* the new range lies above the old max: max first */
		if (write_u64(j->devfreq, "max_freq", hi, why) != 0)
			return LV_EIO;
		return write_u64(j->devfreq, "min_freq", lo, why);
	}
	if (write_u64(j->devfreq, "min_freq", lo, why) != 0)
		return LV_EIO;
	return write_u64(j->devfreq, "max_freq", hi, why);
}

/* The highest available clock within the power mode's cap (the lowest if none is). */
static uint64_t top_clock(const struct lv_backend *b, int capped, uint64_t cap_hz)
{
	uint64_t top = b->freqs_hz[0];
	for (size_t i = 0; i < b->n_freqs; i++)
		if (!capped || b->freqs_hz[i] <= cap_hz)
			top = b->freqs_hz[i];
	return top;
}

static int jet_set_clock(struct lv_backend *b, uint64_t hz, char **why)
{
	struct jet *j = b->impl;
	int id, capped;
	uint64_t cap;
	char name[LV_NVP_NAME_MAX];
	pthread_mutex_lock(&j->mu);
	int rc = 0;
	if (lv_nvp_ctl_current(j->nvp, &id, name, &capped, &cap) && capped && hz > cap)
		rc = lv_fail(why, LV_ESTATE,
		             "%llu Hz is above the GPU cap of power mode %d (%s): %llu Hz. Pin at "
		             "most %llu Hz, or switch to a mode that allows it first (PUT "
		             "/power/mode; GET /gpu/frequencies lists the modes and their caps)",
		             (unsigned long long)hz, id, name, (unsigned long long)cap,
		             (unsigned long long)top_clock(b, capped, cap));
	if (rc == 0)
		rc = set_range(j, hz, hz, why);
	if (rc == 0) {
		j->pinned = 1;
		j->target_hz = hz;
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}

static int jet_release_clock(struct lv_backend *b, char **why)
{
	struct jet *j = b->impl;
	int id, capped;
	uint64_t cap;
	char name[LV_NVP_NAME_MAX];
	pthread_mutex_lock(&j->mu);
	/* up to the power mode's cap, as nvpmodel left it: a release must not lift the cap */
	if (!lv_nvp_ctl_current(j->nvp, &id, name, &capped, &cap))
		capped = 0;
	/* widening: max up first, then min down; each step keeps min <= max */
	int rc = write_u64(j->devfreq, "max_freq", top_clock(b, capped, cap), why);
	if (rc == 0)
		rc = write_u64(j->devfreq, "min_freq", b->freqs_hz[0], why);
	if (rc == 0) {
		j->pinned = 0;
		j->target_hz = 0;
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}

/*
 * Temperatures from the kernel's thermal zones (thermal_zoneN/type, and temp
 * in millidegrees), for when tegrastats gives none: it is not running, or
 * has not printed yet. Zones that cannot be read, or read -256 C and below
 * ("no sensor", as tegrastats prints it), are skipped.
 */
static void thermal_zones(const struct jet *j, struct lv_telemetry *out)
{
	DIR *d = opendir(j->thermal);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) && out->n_temps < LV_TS_MAX_TEMPS) {
		if (strncmp(e->d_name, "thermal_zone", 12) != 0)
			continue;
		char *zone = lv_path_join(j->thermal, e->d_name);
		char *tp = lv_path_join(zone, "type"), *vp = lv_path_join(zone, "temp");
		char *type = lv_read_file(tp, NULL, NULL), *val = lv_read_file(vp, NULL, NULL);
		char *end = NULL;
		long long mc = val ? strtoll(val, &end, 10) : 0;
		if (type && val && end != val && (*end == '\n' || !*end) && mc > -256000) {
			struct lv_tegrastats_temp *t = &out->temps[out->n_temps++];
			snprintf(t->name, sizeof(t->name), "%.*s", (int)strcspn(type, "\n"), type);
			t->celsius = (double)mc / 1000.0;
		}
		free(type);
		free(val);
		free(tp);
		free(vp);
		free(zone);
	}
	closedir(d);
}

static int jet_telemetry(struct lv_backend *b, struct lv_telemetry *out, char **why)
{
	struct jet *j = b->impl;
	uint64_t cur;
	int have_cur = read_u64(j->devfreq, "cur_freq", &cur, NULL) == 0;
	(void)why;
	out->time_s = lv_mono_s() - j->t0_s;
	pthread_mutex_lock(&j->tmu);
	const struct lv_tegrastats_meter *m = &j->meter;
	out->valid = LV_TEL_SAMPLES;
	out->samples = m->samples;
	out->malformed = m->malformed;
	out->source_alive = j->alive;
	out->energy_j = m->energy_j;
	if (m->samples > 0) {
		const struct lv_tegrastats_sample *s = &m->last;
		out->valid |= LV_TEL_GPU_LOAD | LV_TEL_POWER;
		out->gpu_load_pct = s->gpu_load_pct;
		out->power_w = s->power_w;
		out->n_rails = s->n_rails;
		memcpy(out->rails, s->rails, s->n_rails * sizeof(s->rails[0]));
		out->n_temps = s->n_temps;
		memcpy(out->temps, s->temps, s->n_temps * sizeof(s->temps[0]));
		if (s->valid & LV_TS_EMC_FREQ) {
			out->valid |= LV_TEL_EMC_FREQ;
			out->emc_freq_hz = s->emc_freq_hz;
		}
		if (s->valid & LV_TS_EMC_LOAD) {
			out->valid |= LV_TEL_EMC_LOAD;
			out->emc_load_pct = s->emc_load_pct;
		}
		if (s->valid & LV_TS_RAM) {
			out->valid |= LV_TEL_RAM;
			out->ram_used_bytes = (uint64_t)(s->ram_used_mb * 1048576.0);
			out->ram_total_bytes = (uint64_t)(s->ram_total_mb * 1048576.0);
		}
		if (s->valid & LV_TS_CPU) {
			out->valid |= LV_TEL_CPU;
			out->cpu_load_pct = s->cpu_load_pct;
			out->cpu_online = s->cpu_online;
			out->cpu_cores = s->cpu_cores;
		}
		if (!have_cur && (s->valid & LV_TS_GPU_FREQ)) {
			cur = s->gpu_freq_hz;
			have_cur = 1;
		}
	}
	pthread_mutex_unlock(&j->tmu);
	if (out->n_temps == 0)
		thermal_zones(j, out);
	if (have_cur) {
		out->valid |= LV_TEL_GPU_FREQ;
		out->gpu_freq_hz = cur;
	}
	if (lv_nvp_ctl_current(j->nvp, &out->power_mode_id, out->power_mode_name,
	                       &out->power_mode_capped, &out->power_mode_gpu_max_hz))
		out->valid |= LV_TEL_POWER_MODE;
	return 0;
}

static int jet_power(struct lv_backend *b, struct lv_power_info *out, char **why)
{
	struct jet *j = b->impl;
	(void)why;
	lv_nvp_ctl_info(j->nvp, out);
	return 0;
}

static int jet_set_power_mode(struct lv_backend *b, int id, struct lv_power_change *out, char **why)
{
	struct jet *j = b->impl;
	pthread_mutex_lock(&j->mu);
	int rc = lv_nvp_ctl_set(j->nvp, id, &out->from_id, why);
	if (rc == 0 && j->pinned) {
		/* nvpmodel wrote the mode's GPU range over the pin */
		j->pinned = 0;
		j->target_hz = 0;
		out->pin_released = 1;
	}
	pthread_mutex_unlock(&j->mu);
	return rc;
}

const struct lv_backend_ops lv_backend_jetson_ops = {
	.name = "jetson",
	.caps = 0,
	.open = jet_open,
	.close = jet_close,
	.get_clock = jet_get_clock,
	.set_clock = jet_set_clock,
	.release_clock = jet_release_clock,
	.telemetry = jet_telemetry,
	.infer = NULL,
	.stop = NULL,
	.power = jet_power,
	.set_power_mode = jet_set_power_mode,
};
