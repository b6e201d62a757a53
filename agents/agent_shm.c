/*
 * agent_shm: the emulated Triton's system shared memory extension — the
 * table of registered regions and its endpoints (register, unregister one
 * or all, status). A colocated client puts a batch's tensors in a POSIX
 * shared memory object, registers (key, offset, byte_size) under a name
 * once, and then names the region in an infer request instead of sending
 * the bytes over HTTP.
 *
 * A region is mapped read-only at registration (from the page-aligned
 * offset at or below the one asked for; the region starts `delta` bytes
 * into the mapping) and the descriptor closed at once, so the mapping
 * outlives the object's name: a client may unlink it right after
 * registering. The emulated model reads a sample of the bytes (its outputs
 * follow them), and a client may truncate the object under a mapping: a
 * read past the object's end raises SIGBUS. Reads go through
 * lv_shm_read_guarded, whose SIGBUS handler returns the reading thread to
 * it, so the infer fails with a 400 and the agent lives on.
 *
 * The table is shared by the HTTP threads and guarded by one mutex. An
 * infer holds the regions it names (lv_shm_acquire) until it has answered;
 * unregistering takes a region out of the table at once but unmaps it only
 * when its last holder lets go. Registering beyond MAX_REGIONS regions or
 * MAX_MAPPED_BYTES mapped in all (held, unregistered regions included) is
 * refused.
 */
#include "agent.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define MAX_REGIONS      256
#define MAX_MAPPED_BYTES ((uint64_t)8 << 30)
#define MAX_JSON_INTEGER 9007199254740992.0 /* 2^53: larger JSON numbers are not exact */

struct lv_shm_region {
	char name[LV_SHM_NAME_MAX];
	char *key;        /* the shm_open name, as registered */
	uint64_t offset;  /* of the region in the object, bytes */
	size_t byte_size; /* of the region */
	void *map;        /* page-aligned start of the mapping */
	size_t map_len;   /* bytes mapped: delta + byte_size */
	size_t delta;     /* the region starts at map + delta */
	int users;        /* infers holding it */
	int listed;       /* in the table, i.e. registered */
};

struct lv_shm_table {
	pthread_mutex_t lock;
	struct lv_shm_region *regions[MAX_REGIONS]; /* the registered ones, oldest first */
	size_t n_regions;
	uint64_t mapped_bytes; /* map_len of every region still mapped */
};

struct lv_shm_table *lv_shm_table_new(void)
{
	struct lv_shm_table *t = lv_xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

/* Unmaps and frees g. Lock held; g is out of the table and has no users. */
static void region_destroy(struct lv_shm_table *t, struct lv_shm_region *g)
{
	munmap(g->map, g->map_len);
	t->mapped_bytes -= g->map_len;
	free(g->key);
	free(g);
}

/* Index of the registered region `name`, or -1. Lock held. */
static int find_region(const struct lv_shm_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_regions; i++)
		if (!strcmp(t->regions[i]->name, name))
			return (int)i;
	return -1;
}

/* Takes region i out of the table; unmaps it unless an infer still holds it. Lock held. */
static void unlist(struct lv_shm_table *t, size_t i)
{
	struct lv_shm_region *g = t->regions[i];
	memmove(&t->regions[i], &t->regions[i + 1], (t->n_regions - i - 1) * sizeof(t->regions[0]));
	t->n_regions--;
	g->listed = 0;
	if (g->users == 0)
		region_destroy(t, g);
}

void lv_shm_table_free(struct lv_shm_table *t)
{
	if (!t)
		return;
	while (t->n_regions > 0)
		unlist(t, t->n_regions - 1);
	assert(t->mapped_bytes == 0); /* no infer holds a region any more */
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The reading thread's way back from a SIGBUS; NULL when it is not reading a mapping. */
static _Thread_local sigjmp_buf *read_jmp;
static pthread_once_t sigbus_once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	if (read_jmp)
		siglongjmp(*read_jmp, 1);
	/* Not a guarded read: die of it as before. */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void sigbus_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

int lv_shm_read_guarded(void (*fn)(void *), void *arg)
{
	sigjmp_buf jb;
	pthread_once(&sigbus_once, sigbus_install);
	if (sigsetjmp(jb, 1)) {
		read_jmp = NULL;
		return -1;
	}
	read_jmp = &jb;
	fn(arg);
	read_jmp = NULL;
	return 0;
}

int lv_shm_acquire(struct lv_shm_table *t, const char *name, struct lv_shm_hold *h)
{
	*h = (struct lv_shm_hold){ 0 };
	pthread_mutex_lock(&t->lock);
	int i = find_region(t, name);
	if (i >= 0) {
		struct lv_shm_region *g = t->regions[i];
		g->users++;
		h->region = g;
		h->data = (const unsigned char *)g->map + g->delta;
		h->byte_size = g->byte_size;
	}
	pthread_mutex_unlock(&t->lock);
	return i >= 0 ? 0 : LV_ENOENT;
}

void lv_shm_release(struct lv_shm_table *t, struct lv_shm_hold *h)
{
	struct lv_shm_region *g = h->region;
	if (!g)
		return;
	pthread_mutex_lock(&t->lock);
	assert(g->users > 0);
	if (--g->users == 0 && !g->listed)
		region_destroy(t, g);
	pthread_mutex_unlock(&t->lock);
	*h = (struct lv_shm_hold){ 0 };
}

/* ---- register ------------------------------------------------------------------- */

#define REGISTER_BODY "{\"key\": \"/name\", \"offset\": 0, \"byte_size\": N}"

struct register_args {
	const char *key; /* borrowed from the parsed tree */
	uint64_t offset, byte_size;
};

/* A JSON number that is a whole count of bytes, >= 1 (positive) or >= 0. */
static int whole_bytes(const cJSON *v, int positive, uint64_t *out)
{
	if (!cJSON_IsNumber(v) || floor(v->valuedouble) != v->valuedouble ||
	    v->valuedouble < (positive ? 1 : 0) || v->valuedouble > MAX_JSON_INTEGER)
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

/* A 400 naming the field, what it must be and what it is. Returns -1. */
static int bad_bytes(struct lv_response *r, const char *field, const char *want, const cJSON *v)
{
	if (cJSON_IsNumber(v))
		lv_respond_error(r, 400, "%s: must be %s, got %.17g", field, want, v->valuedouble);
	else
		lv_respond_error(r, 400, "%s: must be %s, got a JSON %s", field, want,
		                 cJSON_IsString(v)  ? "string"
		                 : cJSON_IsBool(v)  ? "boolean"
		                 : cJSON_IsNull(v)  ? "null"
		                 : cJSON_IsArray(v) ? "array"
		                                    : "object");
	return -1;
}

/* Checks the register body's fields into *g. 0 or a 400 in *r. */
static int register_args(const cJSON *root, struct register_args *g, struct lv_response *r)
{
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(root, "key");
	const cJSON *off = cJSON_GetObjectItemCaseSensitive(root, "offset");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(root, "byte_size");
	if (!cJSON_IsString(key)) {
		lv_respond_error(r, 400, "key: %s; expected " REGISTER_BODY,
		                 key ? "must be a string" : "missing");
		return -1;
	}
	if (!key->valuestring[0]) {
		lv_respond_error(r, 400, "key: empty; expected the shared memory object's name");
		return -1;
	}
	if (!size) {
		lv_respond_error(r, 400, "byte_size: missing; expected " REGISTER_BODY);
		return -1;
	}
	if (whole_bytes(size, 1, &g->byte_size) != 0)
		return bad_bytes(r, "byte_size", "a positive whole number of bytes", size);
	g->offset = 0;
	if (off && whole_bytes(off, 0, &g->offset) != 0)
		return bad_bytes(r, "offset", "a whole number of bytes >= 0", off);
	g->key = key->valuestring;
	return 0;
}

/*
 * Opens, checks and maps the region into *g (name, key and sizes already
 * set). Lock held (the caps it checks are the table's). 0 or a 400 in *r.
 */
static int region_map(struct lv_shm_table *t, struct lv_shm_region *g, struct lv_response *r)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t start = g->offset - g->offset % page;
	uint64_t len = g->offset - start + g->byte_size;
	struct stat st;
	int fd = -1, rc = -1;
	if (t->n_regions == MAX_REGIONS) {
		lv_respond_error(r, 400, "too many shared memory regions (at most %d at once)",
		                 MAX_REGIONS);
		goto out;
	}
	if (len > SIZE_MAX || t->mapped_bytes + len > MAX_MAPPED_BYTES) {
		lv_respond_error(r, 400,
		                 "failed to register shared memory region '%s': mapping %llu more "
		                 "bytes would go over the limit of %llu mapped in all",
		                 g->name, (unsigned long long)len,
		                 (unsigned long long)MAX_MAPPED_BYTES);
		goto out;
	}
	fd = shm_open(g->key, O_RDONLY, 0);
	if (fd < 0) {
		lv_respond_error(r, 400, "Unable to open shared memory region: '%s': %s", g->key,
		                 strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		lv_respond_error(r, 400, "Invalid shared memory region: '%s': fstat: %s", g->key,
		                 strerror(errno));
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size < g->offset + g->byte_size) {
		lv_respond_error(r, 400,
		                 "failed to register shared memory region '%s': '%s' holds %lld "
		                 "bytes, fewer than offset %llu + byte_size %llu",
		                 g->name, g->key, (long long)st.st_size,
		                 (unsigned long long)g->offset, (unsigned long long)g->byte_size);
		goto out;
	}
	g->map = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, (off_t)start);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		lv_respond_error(r, 400, "failed to register shared memory region '%s': mmap: %s",
		                 g->name, strerror(errno));
		goto out;
	}
	g->map_len = (size_t)len;
	g->delta = (size_t)(g->offset - start);
	t->mapped_bytes += len;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

void lv_shm_register(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_shm_table *t = a->shm;
	struct register_args g = { 0 };
	struct lv_shm_region *reg = NULL;
	size_t name_len = strlen(q->arg);
	const char *end = NULL;
	cJSON *root = NULL;
	if (name_len == 0 || name_len >= LV_SHM_NAME_MAX) {
		lv_respond_error(r, 400, "region name: %zu bytes; expected 1 to %d", name_len,
		                 LV_SHM_NAME_MAX - 1);
		goto out;
	}
	root = cJSON_ParseWithLengthOpts(q->body, q->body_len, &end, 0);
	if (!root) {
		size_t at = end && end >= q->body ? (size_t)(end - q->body) : 0;
		lv_respond_error(r, 400,
		                 "body: not valid JSON (at byte %zu); expected " REGISTER_BODY, at);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		lv_respond_error(r, 400, "body: expected a JSON object " REGISTER_BODY);
		goto out;
	}
	if (register_args(root, &g, r) != 0)
		goto out;
	reg = lv_xcalloc(1, sizeof(*reg));
	memcpy(reg->name, q->arg, name_len + 1);
	reg->key = lv_xstrdup(g.key);
	reg->offset = g.offset;
	reg->byte_size = (size_t)g.byte_size;
	reg->listed = 1;

	pthread_mutex_lock(&t->lock);
	int rc = -1;
	if (find_region(t, reg->name) >= 0)
		lv_respond_error(r, 400, "shared memory region '%s' already in manager", reg->name);
	else
		rc = region_map(t, reg, r);
	if (rc == 0) {
		t->regions[t->n_regions++] = reg;
		reg = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	if (rc != 0)
		goto out;
	lv_agent_log(a, "shm: registered '%s' (key '%s', offset %llu, %llu bytes)", q->arg, g.key,
	             (unsigned long long)g.offset, (unsigned long long)g.byte_size);
	r->status = 200;
out:
	if (reg)
		free(reg->key);
	free(reg);
	cJSON_Delete(root);
}

/* ---- unregister and status --------------------------------------------------------- */

void lv_shm_unregister(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_shm_table *t = a->shm;
	size_t n = 0;
	pthread_mutex_lock(&t->lock);
	if (!q->arg[0]) {
		n = t->n_regions;
		while (t->n_regions > 0)
			unlist(t, t->n_regions - 1);
	} else {
		int i = find_region(t, q->arg);
		if (i >= 0) {
			unlist(t, (size_t)i);
			n = 1;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (n > 0 && q->arg[0])
		lv_agent_log(a, "shm: unregistered '%s'", q->arg);
	else if (n > 0)
		lv_agent_log(a, "shm: unregistered all (%zu)", n);
	r->status = 200; /* as Triton: also when there was nothing to unregister */
}

static void region_json(struct lv_buf *b, const struct lv_shm_region *g)
{
	lv_buf_printf(b, "{\"name\":");
	lv_buf_json_string(b, g->name);
	lv_buf_printf(b, ",\"key\":");
	lv_buf_json_string(b, g->key);
	lv_buf_printf(b, ",\"offset\":%llu,\"byte_size\":%zu}", (unsigned long long)g->offset,
	              g->byte_size);
}

void lv_shm_status(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_shm_table *t = a->shm;
	struct lv_buf b = { 0 };
	int found = 1;
	lv_buf_printf(&b, "[");
	pthread_mutex_lock(&t->lock);
	if (!q->arg[0]) {
		for (size_t i = 0; i < t->n_regions; i++) {
			lv_buf_printf(&b, i ? "," : "");
			region_json(&b, t->regions[i]);
		}
	} else {
		int i = find_region(t, q->arg);
		found = i >= 0;
		if (found)
			region_json(&b, t->regions[i]);
	}
	pthread_mutex_unlock(&t->lock);
	lv_buf_printf(&b, "]");
	if (found) {
		lv_respond_json(r, 200, lv_buf_take(&b, NULL));
		return;
	}
	lv_buf_fini(&b);
	lv_respond_error(r, 400, "Unable to find system shared memory region: '%s'", q->arg);
}
