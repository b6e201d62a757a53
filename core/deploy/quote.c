/*
 * quote: single-quoting for sh. Inside single quotes sh takes every byte
 * literally except the quote itself, so the only escape needed is closing the
 * quote, writing an escaped one and reopening: ' becomes '\''. This is what
 * lets modules paste paths, names and whole scripts into `sh -c` safely.
 */
#include "quote.h"

#include <ctype.h>
#include <stdlib.h>
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

char **lv_split_words(const char *s, bool comments, size_t *n, bool *bad_quote)
{
	char **w = NULL;
	*n = 0;
	*bad_quote = false;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || (comments && *s == '#'))
			break;
		char *word = lv_xmalloc(strlen(s) + 1), *o = word;
		char q = 0;
		for (; *s && (q || !isspace((unsigned char)*s)); s++) {
			if (q && *s == q)
				q = 0;
			else if (!q && (*s == '"' || *s == '\''))
				q = *s;
			else
				*o++ = *s;
		}
		*o = '\0';
		if (q)
			*bad_quote = true;
		w = lv_xrealloc(w, (*n + 1) * sizeof *w);
		w[(*n)++] = word;
	}
	return w;
}

void lv_words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}
