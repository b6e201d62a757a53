/*
 * The real Jetson backend against a fake sysfs tree the test builds:
 * the board kind from /proc/device-tree/model strings and compatible
 * lists (the Orin modules' part numbers), the devfreq directories per kind, available clocks
 * (unsorted, duplicated in the file), cur_freq read back, pin and release writes — their order
 * observed with inotify (IN_CLOSE_WRITE per file, in the order the backend closed them) and
 * replayed against the starting [min, max] to check min <= max after every single write — a failed
 * write named, and telemetry from a replayed log.
 */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "base/file.h"
#include "base/util.h"

#define NX_DEVFREQ "sys/devices/17000000.gv11b/devfreq/17000000.gv11b"

struct tree {
	char *root;
	char *devfreq;
	int ino; /* inotify fd watching devfreq */
};

static void put(const char *dir, const char *name, const char *text)
{
	free(lv_test_write(dir, name, text));
}

static void mkdirs(const char *path)
{
	char *p = lv_xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
	free(p);
}

/* A Xavier NX tree, full range, at 510 MHz. */
static void tree_up(struct tree *t, const char *model)
{
	t->root = lv_test_mkdtemp();
	char *dt = lv_path_join(t->root, "proc/device-tree");
	mkdirs(dt);
	char *mpath = lv_path_join(dt, "model");
	FILE *f = fopen(mpath, "wb");
	assert_non_null(f);
	fwrite(model, 1, strlen(model) + 1, f); /* device-tree strings end with NUL */
	fclose(f);
	free(mpath);
	free(dt);
	t->devfreq = lv_path_join(t->root, NX_DEVFREQ);
	mkdirs(t->devfreq);
	put(t->devfreq, "available_frequencies",
	    "510000000 114750000 1109250000 204000000 510000000 306000000\n");
	put(t->devfreq, "cur_freq", "510000000\n");
	put(t->devfreq, "min_freq", "114750000\n");
	put(t->devfreq, "max_freq", "1109250000\n");
	t->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(t->ino >= 0);
	assert_true(inotify_add_watch(t->ino, t->devfreq, IN_CLOSE_WRITE) >= 0);
}

static void tree_down(struct tree *t)
{
	close(t->ino);
	lv_test_rmtree(t->root);
	free(t->root);
	free(t->devfreq);
}

static unsigned long long get(const struct tree *t, const char *name)
{
	char *path = lv_path_join(t->devfreq, name);
	char *text = lv_read_file(path, NULL, NULL);
	assert_non_null(text);
	unsigned long long v = strtoull(text, NULL, 10);
	free(text);
	free(path);
	return v;
}

/* The files written since the last call, in order ("max_freq", "min_freq"). */
static int written(struct tree *t, char names[][16], int max)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int n = 0;
	ssize_t len;
	while ((len = read(t->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->len && n < max)
				snprintf(names[n++], 16, "%s", ev->name);
			p += sizeof(*ev) + ev->len;
		}
	}
	return n;
}

static struct lv_backend *open_nx(struct tree *t, const char *tegrastats)
{
	struct lv_backend_config cfg;
	char *why = NULL;
	lv_backend_config_default(&cfg);
	cfg.sysfs_root = t->root;
	cfg.tegrastats = tegrastats;
	struct lv_backend *b = lv_backend_new("jetson", &cfg, &why);
	if (!b)
		print_error("open: %s\n", why);
	assert_non_null(b);
	free(why);
	return b;
}

/*
 * Pins hz and checks the writes: each of min_freq and max_freq written once,
 * in an order that keeps min <= max from the starting pair on, ending at hz.
 */
static void pin_and_check(struct tree *t, struct lv_backend *b, unsigned long long hz,
                          const char *first)
{
	char names[8][16];
	unsigned long long lo = get(t, "min_freq"), hi = get(t, "max_freq");
	written(t, names, 8); /* drop older events */
	assert_int_equal(lv_backend_set_clock(b, hz, NULL), 0);
	int n = written(t, names, 8);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], first);
	for (int i = 0; i < n; i++) {
		if (!strcmp(names[i], "min_freq"))
			lo = hz;
		else
			hi = hz;
		assert_true(lo <= hi);
	}
	assert_int_equal(get(t, "min_freq"), hz);
	assert_int_equal(get(t, "max_freq"), hz);
}

static void test_kinds(void **state)
{
	(void)state;
	assert_string_equal(lv_backend_jetson_kind("NVIDIA Jetson Nano Developer Kit"), "nano");
	assert_string_equal(lv_backend_jetson_kind("NVIDIA Jetson Xavier NX Developer Kit"),
	                    "xavier-nx");
	assert_string_equal(lv_backend_jetson_kind("Jetson-AGX"), "agx-xavier");
	assert_string_equal(lv_backend_jetson_kind("NVIDIA Jetson AGX Xavier Developer Kit"),
	                    "agx-xavier");
	assert_string_equal(lv_backend_jetson_kind("NVIDIA Jetson AGX Orin Developer Kit"),
	                    "agx-orin");
	assert_string_equal(lv_backend_jetson_kind("NVIDIA Jetson Orin Nano Developer Kit"),
	                    "orin-nano");
	assert_string_equal(
	    lv_backend_jetson_kind("NVIDIA Jetson Orin NX Engineering Reference Developer Kit"),
	    "orin-nx");
	/* early JetPack 5 names every small Orin carrier so: the compatible list decides */
	assert_null(lv_backend_jetson_kind("NVIDIA Orin Jetson-Small Developer Kit"));
	assert_null(lv_backend_jetson_kind("NVIDIA Jetson TX2"));
	assert_null(lv_backend_jetson_kind("Raspberry Pi 4 Model B Rev 1.4"));
	assert_string_equal(lv_backend_jetson_devfreq_dir("nano"),
	                    "sys/devices/57000000.gpu/devfreq/57000000.gpu");
	assert_string_equal(lv_backend_jetson_devfreq_dir("agx-xavier"), NX_DEVFREQ);
	assert_null(lv_backend_jetson_devfreq_dir("tx2"));
	const char *const *orin = lv_backend_jetson_devfreq_dirs("orin-nx");
	assert_string_equal(orin[0], "sys/class/devfreq/17000000.ga10b");
	assert_string_equal(orin[1], "sys/class/devfreq/17000000.gpu");
	assert_null(orin[2]);

	/* compatible lists: NUL-separated, the module's part number decides */
	static const char agx[] =
	    "nvidia,p3737-0000+p3701-0005\0nvidia,p3701-0005\0nvidia,tegra234";
	static const char nx[] = "nvidia,p3768-0000+p3767-0000\0nvidia,p3767-0000\0nvidia,tegra234";
	static const char nano[] =
	    "nvidia,p3768-0000+p3767-0005\0nvidia,p3767-0005\0nvidia,tegra234";
	static const char xavier[] = "nvidia,p2972-0000\0nvidia,tegra194";
	assert_string_equal(lv_backend_jetson_kind_compat(agx, sizeof(agx)), "agx-orin");
	assert_string_equal(lv_backend_jetson_kind_compat(nx, sizeof(nx)), "orin-nx");
	assert_string_equal(lv_backend_jetson_kind_compat(nano, sizeof(nano)), "orin-nano");
	assert_null(lv_backend_jetson_kind_compat(xavier, sizeof(xavier)));
	assert_null(lv_backend_jetson_kind_compat("", 0));
	/* no NUL at the end (a cut file) is still read within its length */
	assert_string_equal(lv_backend_jetson_kind_compat(nx, 28), "orin-nx");
}

static void test_clocks_and_pin_order(void **state)
{
	struct tree t;
	struct lv_clock_state cs;
	(void)state;
	tree_up(&t, "NVIDIA Jetson Xavier NX Developer Kit");
	struct lv_backend *b = open_nx(&t, "");
	assert_string_equal(b->kind, "xavier-nx");
	assert_string_equal(b->model, "NVIDIA Jetson Xavier NX Developer Kit");
	const uint64_t want[] = { 114750000, 204000000, 306000000, 510000000, 1109250000 };
	assert_int_equal(b->n_freqs, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(b->freqs_hz[i], want[i]);

	assert_int_equal(lv_backend_get_clock(b, &cs, NULL), 0);
	assert_int_equal(cs.freq_hz, 510000000);
	assert_false(cs.pinned);

	/* from the full range down to 306 MHz: min first */
	pin_and_check(&t, b, 306000000, "min_freq");
	/* above the current max: max first */
	pin_and_check(&t, b, 1109250000, "max_freq");
	/* down again: min first */
	pin_and_check(&t, b, 114750000, "min_freq");
	assert_int_equal(lv_backend_get_clock(b, &cs, NULL), 0);
	assert_true(cs.pinned);
	assert_int_equal(cs.target_hz, 114750000);
	/* the kernel moves cur_freq; the backend reads it back */
	put(t.devfreq, "cur_freq", "114750000\n");
	assert_int_equal(lv_backend_get_clock(b, &cs, NULL), 0);
	assert_int_equal(cs.freq_hz, 114750000);

	/* an unknown clock changes nothing */
	char *why = NULL;
	char names[8][16];
	written(&t, names, 8);
	assert_int_equal(lv_backend_set_clock(b, 123, &why), LV_EINVAL);
	assert_non_null(strstr(why, "not an available clock"));
	free(why);
	assert_int_equal(written(&t, names, 8), 0);

	/* release: widen, max first, and every step valid */
	assert_int_equal(lv_backend_release_clock(b, NULL), 0);
	assert_int_equal(written(&t, names, 8), 2);
	assert_string_equal(names[0], "max_freq");
	assert_string_equal(names[1], "min_freq");
	assert_int_equal(get(&t, "min_freq"), 114750000);
	assert_int_equal(get(&t, "max_freq"), 1109250000);
	assert_int_equal(lv_backend_get_clock(b, &cs, NULL), 0);
	assert_false(cs.pinned);
	lv_backend_free(b);
	tree_down(&t);
}

static void test_errors_named(void **state)
{
	struct tree t;
	struct lv_backend_config cfg;
	char *why = NULL;
	(void)state;
	tree_up(&t, "NVIDIA Jetson TX2");
	lv_backend_config_default(&cfg);
	cfg.sysfs_root = t.root;
	cfg.tegrastats = "";
	assert_null(lv_backend_new("jetson", &cfg, &why));
	assert_non_null(strstr(why, "NVIDIA Jetson TX2"));
	assert_non_null(strstr(why, "proc/device-tree/model"));
	free(why);
	why = NULL;
	tree_down(&t);

	/* a min_freq that cannot be written (a directory: root ignores modes) */
	tree_up(&t, "NVIDIA Jetson Xavier NX Developer Kit");
	struct lv_backend *b = open_nx(&t, "");
	char *minf = lv_path_join(t.devfreq, "min_freq");
	assert_int_equal(unlink(minf), 0);
	assert_int_equal(mkdir(minf, 0755), 0);
	assert_int_equal(lv_backend_set_clock(b, 306000000, &why), LV_EIO);
	assert_non_null(strstr(why, "min_freq"));
	free(why);
	free(minf);
	lv_backend_free(b);
	tree_down(&t);
}

/* A replayed log: two known lines and a malformed one, looping. */
static void test_replayed_telemetry(void **state)
{
	struct tree t;
	struct lv_telemetry tel;
	(void)state;
	tree_up(&t, "NVIDIA Jetson Xavier NX Developer Kit");
	char *log = lv_test_write(t.root, "t.log",
	                          "RAM 1/2MB GR3D_FREQ 40%@510 GPU@35.5C VDD_IN 3000mW/3000mW "
	                          "VDD_SOC 1000mW/1000mW\n"
	                          "this line is not tegrastats\n"
	                          "RAM 1/2MB GR3D_FREQ 60%@510 GPU@36C VDD_IN 5000mW/4000mW "
	                          "VDD_SOC 1500mW/1250mW\n");
	struct lv_backend_config cfg;
	lv_backend_config_default(&cfg);
	cfg.sysfs_root = t.root;
	cfg.tegrastats = log;
	cfg.tegrastats_interval_s = 0.002;
	char *why = NULL;
	struct lv_backend *b = lv_backend_new("jetson", &cfg, &why);
	assert_non_null(b);
	for (int i = 0; i < 5000; i++) { /* until the replay has looped a few times */
		assert_int_equal(lv_backend_telemetry(b, &tel, NULL), 0);
		if (tel.samples >= 6)
			break;
		usleep(2000);
	}
	assert_true(tel.samples >= 6);
	assert_true(tel.malformed >= 2);
	assert_true(tel.source_alive);
	/* samples alternate 3 W, 5 W; each stands for one interval */
	uint64_t s = tel.samples;
	double want = 0.002 * (3.0 * (double)((s + 1) / 2) + 5.0 * (double)(s / 2));
	assert_true(fabs(tel.energy_j - want) < 1e-9);
	assert_true(tel.power_w == 3.0 || tel.power_w == 5.0);
	assert_int_equal(tel.n_rails, 2);
	assert_int_equal(tel.n_temps, 1);
	assert_int_equal(tel.gpu_freq_hz, 510000000); /* cur_freq */
	lv_backend_free(b);
	free(log);
	tree_down(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_clocks_and_pin_order),
		cmocka_unit_test(test_errors_named),
		cmocka_unit_test(test_replayed_telemetry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
