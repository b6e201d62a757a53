/*
 * model_config: the few fields of a Triton model configuration
 * (model_repository/<model>/config.pbtxt, protobuf text format) that the
 * emulated Triton endpoint and the dispatcher need — name, platform,
 * max_batch_size, input and output tensors (name, data type, dims, format),
 * whether dynamic batching is on, and the instance count — so the model's
 * shape lives in one file; and the model's input description
 * (struct lv_model_info) the controller and the front end take from it.
 *
 * The reader understands the text format's syntax in general (messages,
 * `field: value`, `field { ... }`, lists `[a, b]`, repeated fields, strings,
 * numbers, enum identifiers, # comments) and skips fields it does not use.
 */
#ifndef LV_MODEL_CONFIG_H
#define LV_MODEL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define LV_MC_NAME_MAX    128
#define LV_MC_MAX_DIMS    8
#define LV_MC_MAX_TENSORS 8
#define LV_MC_MAX_STEPS   8

struct lv_model_tensor {
	char name[LV_MC_NAME_MAX];
	char datatype[16]; /* KServe name: "FP32" for TYPE_FP32, "BYTES" for TYPE_STRING */
	char format[24];   /* "FORMAT_NHWC", or "" when not given */
	char label_filename[LV_MC_NAME_MAX]; /* output labels, beside config.pbtxt; "" none */
	int n_dims;
	int64_t dims[LV_MC_MAX_DIMS]; /* without the batch dimension */
};

/* One step of an ensemble: the model it runs (its tensor maps are Triton's business). */
struct lv_model_step {
	char model_name[LV_MC_NAME_MAX];
};

struct lv_model_config {
	char name[LV_MC_NAME_MAX]; /* "" when the file does not name it */
	char platform[64];         /* "tensorflow_graphdef", "ensemble", "" */
	char backend[64];          /* "python", "dali", "" */
	int max_batch_size;        /* 0: the model does not batch */
	int dynamic_batching;      /* a dynamic_batching block is present */
	int instance_count;        /* sum of instance_group counts; 1 when none is given */
	char instance_kind[16];    /* the first instance_group's kind ("KIND_GPU"), "" if unsaid */
	size_t n_inputs, n_outputs;
	struct lv_model_tensor inputs[LV_MC_MAX_TENSORS];
	struct lv_model_tensor outputs[LV_MC_MAX_TENSORS];
	size_t n_steps; /* ensemble_scheduling's steps, in order; 0 for a plain model */
	struct lv_model_step steps[LV_MC_MAX_STEPS];
};

/*
 * Parses config text; `origin` names it in messages. 0, or LV_EINVAL with
 * *why as "<origin>:<line>: <what>" (caller frees). Requires at least one
 * input and one output, each with a name, a data type and dims, and of an
 * ensemble (platform "ensemble") at least one step, each naming its model.
 */
int lv_model_config_parse(const char *text, const char *origin, struct lv_model_config *out,
                          char **why);

/* Reads and parses a config.pbtxt. 0, LV_EIO (unreadable) or LV_EINVAL. */
int lv_model_config_load(const char *path, struct lv_model_config *out, char **why);

/* Elements of one item (product of dims; -1 when a dim is variable). */
int64_t lv_model_tensor_elements(const struct lv_model_tensor *t);

/* Bytes per element of a KServe data type ("FP32" → 4), 0 when unknown or variable. */
size_t lv_model_datatype_size(const char *datatype);

/*
 * The model's input description as the controller and the front end use
 * it: input name and HWC shape, output name and classes, max batch — read
 * from the same config.pbtxt that is deployed to the workers, so both come
 * from one file.
 */
struct lv_model_info {
	char name[64];               /* "inception_graphdef" */
	char input[64];              /* input tensor name */
	char output[96];             /* output tensor name */
	int height, width, channels; /* 299, 299, 3 */
	int classes;                 /* 1001 */
	int max_batch;
};

/* Where the model's Triton configuration lives, relative to the repository root. */
#define LV_DEFAULT_MODEL_CONFIG "model_repository/inception_graphdef/config.pbtxt"

/*
 * Reads the model's geometry from its Triton config.pbtxt: an FP32 input of
 * three dimensions (HWC) and an output. 0, or an LV_E* code with *why naming
 * the file.
 */
int lv_model_info_load(const char *config_path, struct lv_model_info *m, char **why);

/* The floats of one frame's input tensor (height × width × channels). */
size_t lv_model_input_floats(const struct lv_model_info *m);

#endif
