/*
 * live_shm: batches to a Triton on this host through its system shared
 * memory extension, instead of ~1 MB of HTTP body per frame.
 *
 * Over HTTP a frame's FP32 tensor is copied into libcurl's buffer, through
 * the kernel's TCP stack twice (loopback runs the receiving side on the
 * sender's core too) and out again on Triton's side: on the live benchmark
 * that was a third of the controller's CPU per frame. Through shared memory
 * the engine thread copies the batch's tensors once, into a region Triton
 * has mapped, and the request is the JSON header alone. Used for devices
 * marked "shm" — the emulated agents the controller starts itself, or a
 * cluster file's devices whose Triton shares this host's /dev/shm — unless
 * the configuration turns it off.
 *
 * Regions. Each device has its own, each sized for a power of two of
 * frames, reused batch after batch: a batch takes the smallest free region
 * that holds it, or a new one (at most SHM_DEVICE_MAX bytes per device; a
 * batch that finds no room goes in the body). A new region is a POSIX
 * shared-memory object, its pages allocated up front (posix_fallocate, so
 * a full /dev/shm is an error here, not a SIGBUS later), mapped, and
 * registered (POST /v2/systemsharedmemory/region/<name>/register); like a
 * clock change, the registration holds the device's later work back until
 * Triton answers. Then the object's name is unlinked at once: Triton has
 * its mapping, and nothing is left in /dev/shm if the controller dies.
 * live_shm_tick, once a second: a device that is up gets one region of up
 * to PRIME_FRAMES frames registered ahead, so that its first batch does not
 * wait for a registration; a region no batch took for SHM_IDLE_S is
 * unregistered and freed, so a burst's regions do not stay.
 *
 * Failures. Triton refusing a registration (an older server, one started
 * without client shared memory) turns shared memory off for the device with
 * a warning, and the batches waiting on that region go in the body. A batch
 * that fails through a region, or a device back up after being down (a
 * restarted server knows no regions), drops the device's regions: they are
 * unregistered (answers ignored) and the next batch registers afresh. At
 * shutdown live_release unregisters the rest.
 */
#include "live_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "base/util.h"

#define SHM_DEVICE_MAX ((size_t)512 << 20) /* bytes of regions per device */
#define SHM_IDLE_S     30.0                /* a region no batch took for this long goes */
#define PRIME_FRAMES   4                   /* frames of the region registered ahead */
#define SHM_CHECK_S    1.0                 /* how often live_shm_tick looks */

struct live_region {
	char name[64]; /* Triton's name for it; the object is "/" name until unlinked */
	unsigned char *base;
	size_t size;
	int linked;    /* the object's name still exists */
	int ready;     /* registered: Triton has it mapped */
	int used;      /* an inference transfer holds it */
	int dead;      /* dropped while used: freed when the user lets go */
	double used_s; /* when a batch last took it */
	struct live_region *next;
};

int live_shm_wanted(const struct lv_live *lv, int device)
{
	return !lv->cfg.shm_off && lv->cluster->devices[device].shm && !lv->devs[device].shm_off;
}

static void unlink_name(struct live_region *r)
{
	if (r->linked) {
		char key[sizeof(r->name) + 1];
		snprintf(key, sizeof(key), "/%s", r->name);
		shm_unlink(key);
		r->linked = 0;
	}
}

static void region_free(struct live_region *r)
{
	unlink_name(r);
	munmap(r->base, r->size);
	free(r);
}

/* Takes r off the device's list (the caller frees it or marks it dead). */
static void region_remove(struct live_dev *d, struct live_region *r)
{
	for (struct live_region **p = &d->regions; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			d->shm_bytes -= r->size;
			r->next = NULL;
			return;
		}
}

static struct live_region *region_new(struct lv_live *lv, size_t size, char *why, size_t why_len)
{
	struct live_region *r = lv_xcalloc(1, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "loudva-%ld-%llu", (long)getpid(), ++lv->shm_seq);
	char key[sizeof(r->name) + 1];
	snprintf(key, sizeof(key), "/%s", r->name);
	int fd = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		snprintf(why, why_len, "shm_open %s: %s", key, strerror(errno));
		free(r);
		return NULL;
	}
	r->linked = 1;
	int e = posix_fallocate(fd, 0, (off_t)size);
	if (e != 0) {
		snprintf(why, why_len, "%zu MB in /dev/shm: %s", size >> 20, strerror(e));
		close(fd);
		unlink_name(r);
		free(r);
		return NULL;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(why, why_len, "mmap of %zu MB: %s", size >> 20, strerror(errno));
		unlink_name(r);
		free(r);
		return NULL;
	}
	r->base = p;
	r->size = size;
	return r;
}

/* Best effort: a server that forgot the region is as good. */
static void unregistered(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                         double now)
{
	(void)lv, (void)x, (void)ok, (void)code, (void)err, (void)now;
}

static const struct xfer_ops unregister_ops = { .done = unregistered };

/* Unregisters r on the device's Triton; the answer is not waited for. */
static void send_unregister(struct lv_live *lv, int device, const struct live_region *r)
{
	struct xfer *u = live_xfer_new(XF_SHM_UNREG, device, &unregister_ops);
	snprintf(u->shm_name, sizeof(u->shm_name), "%s", r->name);
	if (live_xfer_start(lv, u, 2.0) != LV_OK)
		live_xfer_free(lv, u);
}

/*
 * Takes r off the device's list and unregisters it on Triton if it was
 * registered; frees it now, or marks it dead for its user's live_shm_detach.
 */
static void region_retire(struct lv_live *lv, int device, struct live_region *r)
{
	region_remove(&lv->devs[device], r);
	if (r->ready)
		send_unregister(lv, device, r);
	if (r->used)
		r->dead = 1;
	else
		region_free(r);
}

/* Retires one registered region nobody uses; 0 when there is none. */
static int drop_idle(struct lv_live *lv, int device)
{
	for (struct live_region *r = lv->devs[device].regions; r; r = r->next)
		if (r->ready && !r->used) {
			region_retire(lv, device, r);
			return 1;
		}
	return 0;
}

/* The least power of two >= n (1 for n <= 1): a region's frames. */
static size_t pow2_at_least(int n)
{
	size_t p = 1;
	while ((int)p < n)
		p *= 2;
	return p;
}

/*
 * Triton answered a registration: the region is ready, or shared memory is
 * off for the device (refused) or the region is retired (no answer), and
 * the batches waiting on it go in the body. The device's work goes on.
 */
static void registered(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                       double now)
{
	struct live_dev *d = &lv->devs[x->device];
	struct live_region *r = x->region;
	const char *name = lv->cluster->devices[x->device].name;
	d->shm_busy = 0;
	unlink_name(r); /* Triton has its mapping now, or never will */
	if (ok && code == 200) {
		r->ready = 1;
		live_note(
		    lv, d->shm_noted ? LV_LOG_DEBUG : LV_LOG_INFO, name,
		    "shared-memory region %s registered (%.1f MB): batches skip the HTTP body",
		    r->name, (double)r->size / 1048576.0);
		d->shm_noted = 1;
	} else {
		if (code != 0) {
			d->shm_off = 1;
			live_note(
			    lv, LV_LOG_WARN, name,
			    "Triton refused shared memory (HTTP %ld: %.120s): tensors go in HTTP "
			    "bodies",
			    code, x->resp.p ? x->resp.p : "");
		} else {
			live_note(lv, LV_LOG_WARN, name, "shared-memory registration failed: %s",
			          err && *err ? err : "no answer");
		}
		/* The batches waiting on it go in the body. */
		for (struct xfer *w = d->wait_head; w; w = w->next)
			if (w->kind == XF_INFER && w->region == r) {
				live_shm_detach(lv, w);
				live_infer_header(lv, w);
			}
		region_retire(lv, x->device, r);
	}
	x->region = NULL;
	live_device_pump(lv, x->device, now);
}

static const struct xfer_ops register_ops = { .done = registered };

/* A new region on the device's list and its registration; NULL (shared memory off) if none. */
static struct live_region *region_add(struct lv_live *lv, int device, size_t size,
                                      struct xfer **reg)
{
	struct live_dev *d = &lv->devs[device];
	char why[160];
	struct live_region *r = region_new(lv, size, why, sizeof(why));
	if (!r) {
		d->shm_off = 1;
		live_note(lv, LV_LOG_WARN, lv->cluster->devices[device].name,
		          "no shared memory (%s): tensors go in HTTP bodies", why);
		return NULL;
	}
	r->next = d->regions;
	d->regions = r;
	d->shm_bytes += size;
	*reg = live_xfer_new(XF_SHM_REG, device, &register_ops);
	(*reg)->region = r;
	snprintf((*reg)->shm_name, sizeof((*reg)->shm_name), "%s", r->name);
	(*reg)->shm_size = r->size;
	return r;
}

/* One region of up to PRIME_FRAMES frames, registered before any batch needs it. */
static void shm_prime(struct lv_live *lv, int device, double now)
{
	struct live_dev *d = &lv->devs[device];
	const struct lv_device *dev = &lv->cluster->devices[device];
	int max_batch = lv->cluster->kinds[dev->kind].profile->max_batch;
	size_t frame = lv_model_input_floats(&lv->cfg.model) * sizeof(float);
	d->shm_primed = 1;
	struct xfer *reg = NULL;
	struct live_region *r = region_add(
	    lv, device, pow2_at_least(max_batch < PRIME_FRAMES ? max_batch : PRIME_FRAMES) * frame,
	    &reg);
	if (r) {
		r->used_s = now;
		live_device_queue(lv, device, reg, now);
	}
}

struct xfer *live_shm_attach(struct lv_live *lv, struct xfer *x, double now)
{
	if (!live_shm_wanted(lv, x->device) || x->frame_len)
		return NULL; /* JPEGs, of their own sizes, go in the body */
	struct live_dev *d = &lv->devs[x->device];
	size_t need = (size_t)x->batch * x->frame_bytes;
	struct live_region *best = NULL;
	struct xfer *reg = NULL;
	/* A region still being registered will do: the batch waits behind its registration. */
	for (struct live_region *r = d->regions; r; r = r->next)
		if (!r->used && r->size >= need && (!best || r->size < best->size))
			best = r;
	if (!best) {
		size_t size = pow2_at_least(x->batch) * x->frame_bytes;
		while (d->shm_bytes + size > SHM_DEVICE_MAX && drop_idle(lv, x->device))
			;
		if (d->shm_bytes + size > SHM_DEVICE_MAX)
			return NULL; /* the regions in use fill the allowance: this one by body */
		best = region_add(lv, x->device, size, &reg);
		if (!best)
			return NULL;
	}
	best->used = 1;
	best->used_s = now;
	for (int i = 0; i < x->batch; i++) {
		unsigned char *dst = best->base + (size_t)i * x->frame_bytes;
		if (x->tensors[i])
			memcpy(dst, x->tensors[i], x->frame_bytes);
		else
			memset(dst, 0, x->frame_bytes);
	}
	x->region = best;
	snprintf(x->shm_name, sizeof(x->shm_name), "%s", best->name);
	return reg;
}

void live_shm_detach(struct lv_live *lv, struct xfer *x)
{
	struct live_region *r = x->region;
	(void)lv;
	if (!r || x->kind != XF_INFER)
		return;
	x->region = NULL;
	x->shm_name[0] = '\0';
	r->used = 0;
	if (r->dead)
		region_free(r);
}

void live_shm_drop(struct lv_live *lv, int device)
{
	struct live_region *next;
	lv->devs[device].shm_primed = 0;
	for (struct live_region *r = lv->devs[device].regions; r; r = next) {
		next = r->next;
		if (r->ready) /* one being registered is left to its answer */
			region_retire(lv, device, r);
	}
}

void live_shm_tick(struct lv_live *lv, int device, double now)
{
	struct live_dev *d = &lv->devs[device];
	struct live_region *next;
	if (now < d->shm_check_s)
		return;
	d->shm_check_s = now + SHM_CHECK_S;
	if (!d->shm_primed && d->health == HEALTH_UP && d->admin == LV_DEV_UP &&
	    live_shm_wanted(lv, device))
		shm_prime(lv, device, now);
	for (struct live_region *r = d->regions; r; r = next) {
		next = r->next;
		if (r->ready && !r->used && now - r->used_s >= SHM_IDLE_S)
			region_retire(lv, device, r);
	}
}

size_t live_shm_names(const struct lv_live *lv, int device, char (**names)[64])
{
	size_t n = 0;
	*names = NULL;
	for (const struct live_region *r = lv->devs[device].regions; r; r = r->next)
		if (r->ready) {
			*names = lv_xrealloc(*names, (n + 1) * sizeof(**names));
			snprintf((*names)[n++], sizeof(**names), "%s", r->name);
		}
	return n;
}

void live_shm_free_all(struct lv_live *lv)
{
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		struct live_dev *d = &lv->devs[i];
		while (d->regions) {
			struct live_region *r = d->regions;
			d->regions = r->next;
			region_free(r);
		}
		d->shm_bytes = 0;
	}
}
