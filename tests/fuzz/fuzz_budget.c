/*
 * fuzz_budget: lv_budget_parse (core/model/budget.h) on arbitrary bytes,
 * given with their exact length (no terminator, so ASan sees any read past
 * them). A text it accepts must be what budget.h promises — at most
 * LV_BUDGET_MAX_TEXT characters of digits, one '.', an exponent — and give
 * strtod's value, > 0 and <= the maximum; a text it refuses must come with
 * a message and leave the value untouched.
 */
#include "harness.h"

#include <math.h>

#include "model/budget.h"
#include "base/util.h"

#define MAX_S 60.0

static int plain_chars(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789.eE+-", d[i]) || d[i] == '\0')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_bytes(data, size), *why = NULL;
	double v = -1;
	int rc = lv_budget_parse(text, size, MAX_S, &v, &why);
	if (rc != LV_OK) {
		fuzz_check(rc == LV_EINVAL, "refused with a code other than LV_EINVAL");
		fuzz_check(why != NULL, "refused without a message");
		fuzz_check(v == -1, "a refused text changed the value");
		free(why);
		free(text);
		return 0;
	}
	fuzz_check(why == NULL, "accepted with a message");
	fuzz_check(size >= 1 && size <= LV_BUDGET_MAX_TEXT, "accepted a text of this length");
	fuzz_check(plain_chars(data, size), "accepted a character outside a plain decimal");
	fuzz_check(data[0] != '+' && data[0] != '-', "accepted a sign");
	fuzz_check(isfinite(v) && v > 0 && v <= MAX_S, "accepted a value outside (0, max]");
	char *nul = fuzz_text(data, size);
	fuzz_check(strtod(nul, NULL) == v, "a value other than strtod's");
	/* What lv_trace_format writes for it reads back the same. */
	char back[40];
	snprintf(back, sizeof back, "%.17g", v);
	double w = -1;
	fuzz_check(lv_budget_parse(back, strlen(back), MAX_S, &w, &why) == LV_OK && w == v,
	           "%.17g of an accepted value does not read back");
	free(nul);
	free(text);
	return 0;
}
