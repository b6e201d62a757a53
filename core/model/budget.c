/*
 * budget: the strict budget parser (contract and grammar in budget.h). The
 * grammar is checked by hand first, so strtod only ever sees a plain decimal
 * number (never hex, "inf", "nan", blanks or a sign, which it would take),
 * and strtod then gives the double correctly rounded: the same value
 * lv_trace_format's shortest decimals read back to. strtod runs in the "C"
 * locale for this thread, so a console started under a locale whose decimal
 * point is ',' still reads "2.5".
 */
#include "budget.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* `text` quoted for a message: printable ASCII as is, other bytes as \xNN, long texts cut. */
static void quote(const char *text, size_t len, char *out, size_t cap)
{
	size_t o = 0, shown = len > LV_BUDGET_MAX_TEXT ? LV_BUDGET_MAX_TEXT : len;

	for (size_t i = 0; i < shown && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	if (shown < len && o + 4 < cap)
		o += (size_t)snprintf(out + o, cap - o, "...");
	out[o] = '\0';
}

static size_t digits(const char *s, size_t i, size_t len)
{
	size_t j = i;
	while (j < len && s[j] >= '0' && s[j] <= '9')
		j++;
	return j - i;
}

/* 1 when text[0..len) is DIGITS [. DIGITS] [e [+-] DIGITS] with a digit in the mantissa. */
static int plain_decimal(const char *s, size_t len)
{
	size_t i = 0, whole = digits(s, 0, len), frac = 0;

	i += whole;
	if (i < len && s[i] == '.') {
		frac = digits(s, i + 1, len);
		i += 1 + frac;
	}
	if (whole + frac == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t exp = digits(s, i, len);
		if (exp == 0)
			return 0;
		i += exp;
	}
	return i == len;
}

/* strtod of a checked plain decimal in the "C" locale; sets errno as strtod does. */
static double c_strtod(const char *s)
{
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	locale_t old = c ? uselocale(c) : (locale_t)0;
	errno = 0;
	double v = strtod(s, NULL);
	int err = errno;
	if (c) {
		uselocale(old);
		freelocale(c);
	}
	errno = err;
	return v;
}

int lv_budget_parse(const char *text, size_t len, double max_s, double *out_s, char **why)
{
	char q[4 * LV_BUDGET_MAX_TEXT + 8], buf[LV_BUDGET_MAX_TEXT + 1];

	quote(text, len, q, sizeof q);
	if (len == 0)
		return lv_fail(why, LV_EINVAL, "'' is not a number of seconds (empty)");
	if (memchr(text, '\0', len))
		return lv_fail(why, LV_EINVAL,
		               "'%s' is not a number of seconds: it holds a NUL byte", q);
	if (len > LV_BUDGET_MAX_TEXT)
		return lv_fail(why, LV_EINVAL,
		               "'%s' is not a number of seconds: longer than %d characters", q,
		               LV_BUDGET_MAX_TEXT);
	if (!plain_decimal(text, len))
		return lv_fail(
		    why, LV_EINVAL,
		    "'%s' is not a plain decimal number of seconds (like 2, 0.5 or 1.5e1)", q);
	memcpy(buf, text, len);
	buf[len] = '\0';
	double v = c_strtod(buf);
	if (errno == ERANGE && v < 1)
		return lv_fail(why, LV_EINVAL, "'%s' is too small to be a number of seconds", q);
	if (!(v > 0))
		return lv_fail(why, LV_EINVAL, "'%s' is not a positive number of seconds", q);
	if (!isfinite(v) || !(v <= max_s))
		return lv_fail(why, LV_EINVAL, "'%s' is over the maximum budget of %g s", q, max_s);
	*out_s = v;
	return LV_OK;
}
