/*
 * test_csv: the CSV reader — quoting, line ends, blank lines, column lookup,
 * and that every error names the origin, the line the row starts on and, for
 * a field, the column.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/file.h"
#include "base/util.h"

static struct lv_csv *open_text(const char *text, char **why)
{
	return lv_csv_from_text(text, strlen(text), "t.csv", why);
}

static void test_quoted_fields(void **state)
{
	(void)state;
	const char *text = "name,note,n\n"
	                   "\"a, b\",\"say \"\"hi\"\"\",3\n"
	                   "plain,\"\",\"4\"\n";
	char *why = NULL;
	struct lv_csv *c = open_text(text, &why);
	assert_non_null(c);
	assert_int_equal(lv_csv_n_columns(c), 3);
	assert_string_equal(lv_csv_column_name(c, 1), "note");
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_string_equal(lv_csv_field(c, 0), "a, b");
	assert_string_equal(lv_csv_field(c, 1), "say \"hi\"");
	assert_string_equal(lv_csv_field(c, 2), "3");
	assert_int_equal(lv_csv_line(c), 2);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_string_equal(lv_csv_field(c, 0), "plain");
	assert_string_equal(lv_csv_field(c, 1), "");
	long n = 0;
	assert_int_equal(lv_csv_long(c, 2, &n, &why), 0);
	assert_int_equal(n, 4);
	assert_int_equal(lv_csv_next(c, &why), 0);
	assert_null(why);
	lv_csv_free(c);
}

/* A quoted newline stays in the field and moves the next row's line number. */
static void test_multiline_field_and_blank_lines(void **state)
{
	(void)state;
	const char *text = "a,b\n\n\"two\nlines\",x\n\n\n1,2\n";
	char *why = NULL;
	struct lv_csv *c = open_text(text, &why);
	assert_non_null(c);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_line(c), 3);
	assert_string_equal(lv_csv_field(c, 0), "two\nlines");
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_line(c), 7);
	assert_string_equal(lv_csv_field(c, 1), "2");
	assert_int_equal(lv_csv_next(c, &why), 0);
	lv_csv_free(c);
}

static void test_crlf_and_bom(void **state)
{
	(void)state;
	const char *text = "\xEF\xBB\xBFtime,frames\r\n0.5,3\r\n\"1.5\",4\r\n2.5,5";
	char *why = NULL;
	struct lv_csv *c = open_text(text, &why);
	assert_non_null(c);
	assert_int_equal(lv_csv_find(c, "time"), 0);
	assert_int_equal(lv_csv_find(c, "frames"), 1);
	double t = 0;
	long f = 0;
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_string_equal(lv_csv_field(c, 1), "3");
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_double(c, 0, &t, &why), 0);
	assert_true(t == 1.5);
	assert_int_equal(lv_csv_line(c), 3);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_long(c, 1, &f, &why), 0);
	assert_int_equal(f, 5);
	assert_int_equal(lv_csv_next(c, &why), 0);
	assert_null(why);
	lv_csv_free(c);
}

static void test_missing_column(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_csv *c = open_text("\n\nTime,Frames\n1,2\n", &why);
	assert_non_null(c);
	assert_int_equal(lv_csv_find(c, "Camera Index"), -1);
	assert_int_equal(lv_csv_find(c, "time"), -1); /* names match exactly */
	assert_int_equal(lv_csv_require(c, "Camera Index", &why), LV_ENOENT);
	assert_string_equal(why, "t.csv:3: no column 'Camera Index'");
	free(why);
	lv_csv_free(c);
}

static void test_field_count_names_line(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_csv *c = open_text("a,b,c\n1,2,3\n4,5,6\n7,8\n", &why);
	assert_non_null(c);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_next(c, &why), LV_EINVAL);
	assert_string_equal(why, "t.csv:4: 2 fields, but the header has 3");
	free(why);
	lv_csv_free(c);
}

static void test_bad_number_names_line_and_column(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_csv *c = open_text("Energy,Latency\n1,0.5\n2,fast\n", &why);
	assert_non_null(c);
	double v = 0;
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_double(c, 1, &v, &why), 0);
	assert_true(v == 0.5);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_double(c, 1, &v, &why), LV_EINVAL);
	assert_string_equal(why, "t.csv:3: column 'Latency': 'fast' is not a number");
	free(why);
	why = NULL;
	uint64_t u = 0;
	assert_int_equal(lv_csv_u64(c, 0, &u, &why), 0);
	assert_int_equal(u, 2);
	assert_int_equal(lv_csv_fail(c, 0, &why, LV_ERANGE, "%d is too big", 2), LV_ERANGE);
	assert_string_equal(why, "t.csv:3: column 'Energy': 2 is too big");
	free(why);
	lv_csv_free(c);
}

static void test_quote_errors(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_csv *c = open_text("a,b\n1,\"open\n2,3\n", &why);
	assert_non_null(c);
	assert_int_equal(lv_csv_next(c, &why), LV_EINVAL);
	assert_string_equal(why, "t.csv:2: column 'b': unterminated quoted field");
	free(why);
	lv_csv_free(c);

	why = NULL;
	c = open_text("a,b\n1,2\n\"x\"y,3\n", &why);
	assert_non_null(c);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_int_equal(lv_csv_next(c, &why), LV_EINVAL);
	assert_string_equal(why, "t.csv:3: column 'a': unexpected 'y' after closing quote");
	free(why);
	lv_csv_free(c);
}

static void test_files(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_test_write(dir, "x.csv", "k,v\r\nalpha,1\r\n");
	char *empty = lv_test_write(dir, "empty.csv", "\n\n");
	char *why = NULL;
	struct lv_csv *c = lv_csv_open(path, &why);
	assert_non_null(c);
	assert_string_equal(lv_csv_origin(c), path);
	assert_int_equal(lv_csv_next(c, &why), 1);
	assert_string_equal(lv_csv_field(c, 0), "alpha");
	assert_string_equal(lv_csv_field(c, 1), "1");
	lv_csv_free(c);

	assert_null(lv_csv_open(empty, &why));
	char *want = lv_xasprintf("%s: empty file (no header row)", empty);
	assert_string_equal(why, want);
	free(want);
	free(why);
	why = NULL;

	char *missing = lv_path_join(dir, "nope.csv");
	assert_null(lv_csv_open(missing, &why));
	assert_non_null(strstr(why, missing));
	free(why);
	free(missing);
	free(empty);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_multiline_field_and_blank_lines),
		cmocka_unit_test(test_crlf_and_bom),
		cmocka_unit_test(test_missing_column),
		cmocka_unit_test(test_field_count_names_line),
		cmocka_unit_test(test_bad_number_names_line_and_column),
		cmocka_unit_test(test_quote_errors),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
