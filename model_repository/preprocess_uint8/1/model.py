# Triton python backend model: preprocess_uint8 (see ../config.pbtxt).
# Batches of NHWC uint8 pixels in, the same shape as FP32 in [-1, 1] out.
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            pixels = pb_utils.get_input_tensor_by_name(request, "image").as_numpy()
            scaled = pixels.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
            out = pb_utils.Tensor("input", scaled)
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses
