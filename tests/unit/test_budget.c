/*
 * test_budget: the strict budget parser (core/model/budget.h) that the front
 * end's `latency` field and the traces' latency_constraint column share.
 * Issue 21, finding 5: "0x10", " 5", "5\0junk", 1e308, 1e9 and a 63-digit
 * number were all taken as budgets.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"
#include "base/util.h"

/* Parses the whole of text (len bytes) against max_s; 1 when accepted with the value want. */
static void accepts(const char *text, size_t len, double max_s, double want)
{
	double v = -1;
	char *why = NULL;
	if (lv_budget_parse(text, len, max_s, &v, &why) != LV_OK)
		fail_msg("'%s' refused: %s", text, why);
	assert_null(why);
	if (v != want)
		fail_msg("'%s' read as %.17g, want %.17g", text, v, want);
}

static void refuses(const char *text, size_t len, double max_s, const char *want_why)
{
	double v = 7;
	char *why = NULL;
	assert_int_equal(lv_budget_parse(text, len, max_s, &v, &why), LV_EINVAL);
	assert_true(v == 7); /* untouched */
	assert_non_null(why);
	if (strcmp(why, want_why))
		fail_msg("'%.*s': got \"%s\", want \"%s\"", (int)len, text, why, want_why);
	free(why);
}

#define S(lit) lit, sizeof(lit) - 1

static void test_plain_decimals(void **state)
{
	(void)state;
	accepts(S("2"), 60, 2);
	accepts(S("0.5"), 60, 0.5);
	accepts(S(".25"), 60, 0.25);
	accepts(S("3."), 60, 3);
	accepts(S("1.5e1"), 60, 15);
	accepts(S("2E-1"), 60, 0.2);
	accepts(S("6e+1"), 60, 60); /* the maximum itself */
	accepts(S("0.1"), 60, 0.1); /* correctly rounded, as strtod */
	accepts(S("60"), 60, 60);
	accepts(S("00021"), 60, 21);
	/* Only len bytes are read: what follows is not part of the text. */
	accepts("2.5junk", 3, 60, 2.5);
}

#define PLAIN "is not a plain decimal number of seconds (like 2, 0.5 or 1.5e1)"

static void test_refused_forms(void **state)
{
	(void)state;
	refuses(S(""), 60, "'' is not a number of seconds (empty)");
	refuses(S("0x10"), 60, "'0x10' " PLAIN);
	refuses(S(" 5"), 60, "' 5' " PLAIN);
	refuses(S("5 "), 60, "'5 ' " PLAIN);
	refuses(S("5\n"), 60, "'5\\x0a' " PLAIN);
	refuses(S("+5"), 60, "'+5' " PLAIN);
	refuses(S("-1"), 60, "'-1' " PLAIN);
	refuses(S("inf"), 60, "'inf' " PLAIN);
	refuses(S("nan"), 60, "'nan' " PLAIN);
	refuses(S("."), 60, "'.' " PLAIN);
	refuses(S("e5"), 60, "'e5' " PLAIN);
	refuses(S("5e"), 60, "'5e' " PLAIN);
	refuses(S("5e+"), 60, "'5e+' " PLAIN);
	refuses(S("1,5"), 60, "'1,5' " PLAIN);
	refuses(S("5s"), 60, "'5s' " PLAIN);
	refuses(S("1.2.3"), 60, "'1.2.3' " PLAIN);
	refuses(S("\xc3\xa9"), 60, "'\\xc3\\xa9' " PLAIN);
	refuses(S("it's"), 60, "'it\\x27s' " PLAIN);
	refuses(S("5\0junk"), 60, "'5\\x00junk' is not a number of seconds: it holds a NUL byte");
	refuses(S("\0"), 60, "'\\x00' is not a number of seconds: it holds a NUL byte");
}

static void test_refused_values(void **state)
{
	(void)state;
	refuses(S("0"), 60, "'0' is not a positive number of seconds");
	refuses(S("0.000"), 60, "'0.000' is not a positive number of seconds");
	refuses(S("0e5"), 60, "'0e5' is not a positive number of seconds");
	refuses(S("1e-400"), 60, "'1e-400' is too small to be a number of seconds");
	refuses(S("60.001"), 60, "'60.001' is over the maximum budget of 60 s");
	refuses(S("1e9"), 60, "'1e9' is over the maximum budget of 60 s");
	refuses(S("1e308"), 60, "'1e308' is over the maximum budget of 60 s");
	refuses(S("1e999"), 60, "'1e999' is over the maximum budget of 60 s");
	refuses(S("2.5"), 2, "'2.5' is over the maximum budget of 2 s");
	accepts(S("3600"), LV_BUDGET_CEILING_S, 3600);
	refuses(S("3601"), LV_BUDGET_CEILING_S, "'3601' is over the maximum budget of 3600 s");
	/* A maximum that is not a number accepts nothing. */
	refuses(S("1"), NAN, "'1' is over the maximum budget of nan s");
}

static void test_length(void **state)
{
	(void)state;
	char digits[64];
	memset(digits, '9', 63);
	digits[63] = '\0';
	/* 63 digits: too long to be a budget, whatever the maximum. */
	refuses(digits, 63, 1e300,
	        "'99999999999999999999999999999999...' is not a number of seconds: longer "
	        "than 32 characters");
	/* 32 characters is the limit. */
	char at[LV_BUDGET_MAX_TEXT + 2] = "0.";
	memset(at + 2, '5', LV_BUDGET_MAX_TEXT - 2);
	accepts(at, LV_BUDGET_MAX_TEXT, 60, strtod(at, NULL));
	at[LV_BUDGET_MAX_TEXT] = '5';
	refuses(at, LV_BUDGET_MAX_TEXT + 1, 60,
	        "'0.555555555555555555555555555555...' is not a number of seconds: longer "
	        "than 32 characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_decimals),
		cmocka_unit_test(test_refused_forms),
		cmocka_unit_test(test_refused_values),
		cmocka_unit_test(test_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
