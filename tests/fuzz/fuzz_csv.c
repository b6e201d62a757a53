/*
 * fuzz_csv: the CSV reader (core/base/csv.h) over arbitrary bytes — header,
 * quoting, line ends, then every field of every row read as text and as each
 * kind of number. An error must come with a message; nothing may crash.
 */
#include "harness.h"

#include "base/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_bytes(data, size), *why = NULL;
	struct lv_csv *c = lv_csv_from_text(text, size, "fuzz.csv", &why);
	free(text);
	if (!c) {
		fuzz_check(why != NULL, "lv_csv_from_text failed without a message");
		free(why);
		return 0;
	}
	size_t n = lv_csv_n_columns(c);
	for (size_t i = 0; i < n; i++)
		fuzz_check(lv_csv_find(c, lv_csv_column_name(c, (int)i)) <= (int)i,
		           "lv_csv_find misses a header name");
	int rc;
	while ((rc = lv_csv_next(c, &why)) == 1) {
		for (size_t i = 0; i < n; i++) {
			double d;
			long l;
			uint64_t u;
			fuzz_check(lv_csv_field(c, (int)i) != NULL, "a field of a row is NULL");
			char *w1 = NULL, *w2 = NULL, *w3 = NULL;
			lv_csv_double(c, (int)i, &d, &w1);
			lv_csv_long(c, (int)i, &l, &w2);
			lv_csv_u64(c, (int)i, &u, &w3);
			free(w1);
			free(w2);
			free(w3);
		}
	}
	if (rc < 0)
		fuzz_check(why != NULL, "lv_csv_next failed without a message");
	free(why);
	lv_csv_free(c);
	return 0;
}
