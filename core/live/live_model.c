/*
 * live_model: the model geometry the controller needs (input name and HWC
 * shape, output name and classes, max batch), read from the Triton model
 * configuration that is also deployed to the workers, so both come from one
 * file.
 */
#include "live.h"

#include <stdio.h>
#include <string.h>

#include "model/model_config.h"
#include "base/util.h"

int lv_model_info_load(const char *config_path, struct lv_model_info *m, char **why)
{
	struct lv_model_config mc;
	int rc = lv_model_config_load(config_path, &mc, why);
	if (rc != LV_OK)
		return rc;
	const struct lv_model_tensor *in = &mc.inputs[0], *out = &mc.outputs[0];
	if (in->n_dims != 3 || strcmp(in->datatype, "FP32") || out->n_dims < 1)
		return lv_fail(why, LV_EINVAL,
		               "%s: want an FP32 input of 3 dims (HWC) and an output", config_path);
	if (strlen(mc.name) >= sizeof(m->name) || strlen(in->name) >= sizeof(m->input) ||
	    strlen(out->name) >= sizeof(m->output))
		return lv_fail(why, LV_EINVAL, "%s: a model or tensor name is too long",
		               config_path);
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%.63s", mc.name);
	snprintf(m->input, sizeof(m->input), "%.63s", in->name);
	snprintf(m->output, sizeof(m->output), "%.95s", out->name);
	m->height = (int)in->dims[0];
	m->width = (int)in->dims[1];
	m->channels = (int)in->dims[2];
	m->classes = (int)out->dims[0];
	m->max_batch = mc.max_batch_size;
	return LV_OK;
}

size_t lv_model_input_floats(const struct lv_model_info *m)
{
	return (size_t)m->height * (size_t)m->width * (size_t)m->channels;
}
