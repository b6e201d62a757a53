/*
 * quote: single-quoting for sh. Inside single quotes sh takes every byte
 * literally except the quote itself, so the only escape needed is closing the
 * quote, writing an escaped one and reopening: ' becomes '\''. This is what
 * lets modules paste paths, names and whole scripts into `sh -c` safely.
 */
#include "quote.h"

#include <string.h>

#include "base/util.h"

char *lv_quote_sh(const char *s)
{
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *q = lv_xmalloc(n), *w = q;
	*w++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(w, "'\\''", 4);
			w += 4;
		} else {
			*w++ = *p;
		}
	}
	*w++ = '\'';
	*w = '\0';
	return q;
}
