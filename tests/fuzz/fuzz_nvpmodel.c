/*
 * fuzz_nvpmodel: the nvpmodel parsers (agents/nvpmodel.h) from arbitrary
 * bytes, given by length without a terminator — a board's configuration,
 * the status file and `nvpmodel -q`'s output. A malformed line is counted,
 * never fatal; what is kept stays within its bounds, and every mode found
 * can be found again by its id and its name.
 */
#include "harness.h"

#include "nvpmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_bytes(data, size), *why = NULL;
	struct lv_nvp_conf *c = malloc(sizeof(*c));
	if (!c)
		abort();
	int rc = lv_nvp_conf_parse(text, size, c, &why);
	fuzz_check(rc == 0 || why != NULL, "lv_nvp_conf_parse failed without a message");
	fuzz_check((rc == 0) == (c->n_modes > 0), "a parse's result and its modes disagree");
	fuzz_check(c->n_modes <= LV_NVP_MAX_MODES && c->n_issues <= LV_NVP_MAX_ISSUES &&
	               c->n_issues <= c->malformed,
	           "conf counts out of bounds");
	for (size_t i = 0; i < c->n_modes; i++) {
		const struct lv_nvp_mode *m = &c->modes[i];
		fuzz_check(memchr(m->name, '\0', sizeof(m->name)) && m->name[0],
		           "a mode's name is empty or unterminated");
		fuzz_check(lv_nvp_find_id(c, m->id) == m && lv_nvp_find_name(c, m->name) == m,
		           "a mode is not found by its id or name");
		fuzz_check(!m->gpu_capped || m->gpu_max_hz > 0, "a cap of 0 Hz");
	}
	free(why);
	free(c);

	int id = -1;
	if (lv_nvp_status_parse(text, size, &id) == 0)
		fuzz_check(id >= 0 && id <= 9999, "status id out of range");
	char name[LV_NVP_NAME_MAX];
	if (lv_nvp_query_parse(text, size, &id, name, sizeof(name)) == 0)
		fuzz_check(id >= 0 && id <= 9999 && memchr(name, '\0', sizeof(name)) && name[0],
		           "query result out of bounds");
	free(text);
	return 0;
}
