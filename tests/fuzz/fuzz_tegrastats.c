/*
 * fuzz_tegrastats: tegrastats output (agents/tegrastats.h) from arbitrary
 * bytes — the whole input as one line, then its lines through a meter as the
 * agent feeds them. A malformed line is counted, never fatal; a sample keeps
 * its array bounds.
 */
#include "harness.h"

#include "tegrastats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *why = NULL;
	struct lv_tegrastats_sample s;
	int rc = lv_tegrastats_parse(text, &s, &why);
	if (rc < 0)
		fuzz_check(why != NULL, "lv_tegrastats_parse failed without a message");
	if (rc == 1)
		fuzz_check(s.n_rails >= 1 && s.n_rails <= LV_TS_MAX_RAILS &&
		               s.n_temps <= LV_TS_MAX_TEMPS,
		           "sample counts out of bounds");
	free(why);

	struct lv_tegrastats_meter m;
	lv_tegrastats_meter_init(&m, 0.5);
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		rc = lv_tegrastats_meter_feed(&m, line);
		fuzz_check(rc == 0 || rc == 1 || rc < 0, "meter_feed returned nonsense");
	}
	lv_tegrastats_meter_finish(&m);
	fuzz_check(m.samples + m.malformed <= m.lines, "more samples than lines");
	free(text);
	return 0;
}
