/*
 * agent_inflate: a request body sent with Content-Encoding gzip or deflate
 * (zlib's format, as HTTP means it), inflated through zlib as its pieces
 * arrive and handed to the body (agent_body.c) as if it had come plain, so
 * the binary tensor extension, the byte limits and the checks behind them
 * see the bytes the client meant.
 *
 * Bounded: zlib's window and a fixed output block are all the memory it
 * takes, whatever the ratio; the inflated bytes count against the body's
 * limit (413 beyond it: a small body that inflates to gigabytes is refused
 * once it passes the limit, and the rest is not inflated), and so do the
 * compressed ones. A stream that is corrupt, cut short or followed by
 * other bytes is a 400 naming the encoding and the compressed offset.
 * Several gzip members one after another are one body, as gzip reads them.
 *
 * agent_http.c makes one per request that declares an encoding.
 */
#include "agent.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "base/util.h"

#define OUT_BLOCK 65536

struct lv_inflate {
	z_stream z;
	int gzip;
	int ended;                   /* the stream (member) is complete */
	int failed;                  /* zlib refused it; the rest is skipped */
	char msg[160];               /* why, when failed */
	unsigned long long in_total; /* compressed bytes taken */
	unsigned char out[OUT_BLOCK];
};

struct lv_inflate *lv_inflate_new(const char *encoding, struct lv_response *r)
{
	int gzip = !strcasecmp(encoding, "gzip") || !strcasecmp(encoding, "x-gzip");
	if (!gzip && strcasecmp(encoding, "deflate") != 0) {
		lv_respond_error(
		    r, 415, "Content-Encoding '%.40s' is not supported (gzip, deflate or none)",
		    encoding);
		return NULL;
	}
	struct lv_inflate *f = lv_xcalloc(1, sizeof(*f));
	f->gzip = gzip;
	/* 15: the largest window; +16: a gzip header and trailer instead of zlib's. */
	if (inflateInit2(&f->z, gzip ? 15 + 16 : 15) != Z_OK) {
		free(f);
		lv_respond_error(r, 500, "cannot start inflating the body (out of memory?)");
		return NULL;
	}
	return f;
}

static void fail_at(struct lv_inflate *f, const char *what)
{
	f->failed = 1;
	snprintf(f->msg, sizeof(f->msg), "%s at compressed byte %llu", what,
	         f->in_total - f->z.avail_in);
}

/*
 * One inflate call into the output buffer, its output handed to the body.
 * Returns zlib's code; *got is how many bytes came out. A stream's end sets
 * f->ended, an error fails f.
 */
static int inflate_step(struct lv_inflate *f, struct lv_body *b, size_t *got)
{
	f->z.next_out = f->out;
	f->z.avail_out = sizeof(f->out);
	int rc = inflate(&f->z, Z_NO_FLUSH);
	*got = sizeof(f->out) - f->z.avail_out;
	if (*got)
		lv_body_take(b, (const char *)f->out, *got);
	if (rc == Z_STREAM_END)
		f->ended = 1;
	else if (rc != Z_OK && rc != Z_BUF_ERROR)
		fail_at(f, f->z.msg ? f->z.msg : "not a compressed stream");
	return rc;
}

void lv_inflate_take(struct lv_inflate *f, struct lv_body *b, const char *data, size_t n)
{
	f->in_total += n;
	if (f->failed || b->too_large)
		return; /* refused already: nothing more is inflated */
	if (f->in_total > b->limit) {
		b->too_large = 1;
		return;
	}
	f->z.next_in = (unsigned char *)(uintptr_t)data;
	f->z.avail_in = (uInt)n; /* a piece from the HTTP layer is far below 4 GiB */
	while (f->z.avail_in > 0 && !b->too_large) {
		if (f->ended) {
			/* bytes after a complete stream: another gzip member, else an error */
			if (!f->gzip || inflateReset(&f->z) != Z_OK) {
				fail_at(f, "bytes after the end of the compressed stream");
				return;
			}
			f->ended = 0;
		}
		size_t got;
		int rc = inflate_step(f, b, &got);
		if (f->failed)
			return;
		if (rc == Z_BUF_ERROR && got == 0)
			break; /* needs more input */
	}
	/* Output may still be pending with no input left: drain it. */
	while (!f->failed && !f->ended && !b->too_large) {
		size_t got;
		inflate_step(f, b, &got);
		if (got < sizeof(f->out))
			break;
	}
}

int lv_inflate_finish(struct lv_inflate *f, const struct lv_body *b, struct lv_response *r)
{
	const char *enc = f->gzip ? "gzip" : "deflate";
	if (b->too_large) {
		lv_respond_error(r, 413,
		                 "the %s body inflates (or is) beyond this endpoint's limit of %zu "
		                 "bytes",
		                 enc, b->limit);
		return -1;
	}
	if (f->failed) {
		lv_respond_error(r, 400, "Content-Encoding %s: the body does not inflate: %s", enc,
		                 f->msg);
		return -1;
	}
	if (!f->ended) {
		lv_respond_error(r, 400,
		                 "Content-Encoding %s: the body ends before its compressed stream "
		                 "does (%llu compressed bytes)",
		                 enc, f->in_total);
		return -1;
	}
	return 0;
}

void lv_inflate_free(struct lv_inflate *f)
{
	if (!f)
		return;
	inflateEnd(&f->z);
	free(f);
}
