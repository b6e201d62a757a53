/*
 * fuzz_model_config: Triton config.pbtxt text (core/model/model_config.h)
 * from arbitrary bytes. A config that parses must respect the header's
 * bounds (tensor, dim and ensemble step counts), name its tensors and an
 * ensemble's step models; the helpers on the tensors must not crash.
 */
#include "harness.h"

#include "model/model_config.h"

static void check_tensors(const struct lv_model_tensor *v, size_t n)
{
	fuzz_check(n >= 1 && n <= LV_MC_MAX_TENSORS, "tensor count out of bounds");
	for (size_t i = 0; i < n; i++) {
		fuzz_check(v[i].n_dims >= 0 && v[i].n_dims <= LV_MC_MAX_DIMS,
		           "dim count out of bounds");
		fuzz_check(memchr(v[i].name, '\0', sizeof v[i].name) != NULL,
		           "tensor name not terminated");
		(void)lv_model_tensor_elements(&v[i]);
		(void)lv_model_datatype_size(v[i].datatype);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *why = NULL;
	struct lv_model_config cfg;
	int rc = lv_model_config_parse(text, "config.pbtxt", &cfg, &why);
	free(text);
	if (rc) {
		fuzz_check(rc < 0 && why != NULL, "lv_model_config_parse failed without a message");
		free(why);
		return 0;
	}
	check_tensors(cfg.inputs, cfg.n_inputs);
	check_tensors(cfg.outputs, cfg.n_outputs);
	fuzz_check(cfg.n_steps <= LV_MC_MAX_STEPS, "step count out of bounds");
	for (size_t i = 0; i < cfg.n_steps; i++)
		fuzz_check(cfg.steps[i].model_name[0] != '\0' &&
		               memchr(cfg.steps[i].model_name, '\0', sizeof cfg.steps[i].model_name),
		           "an ensemble step without a terminated model name");
	fuzz_check(strcmp(cfg.platform, "ensemble") != 0 || cfg.n_steps > 0,
	           "an ensemble without steps parsed");
	return 0;
}
