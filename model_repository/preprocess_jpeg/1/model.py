# Triton python backend model: preprocess_jpeg (see ../config.pbtxt).
# A batch of JPEGs (BYTES, shape [b, 1]) in; each decoded to RGB, resized to
# 299 x 299 (bilinear) and scaled to [-1, 1], out as FP32 NHWC [b, 299, 299, 3].
# A frame that does not decode fails its request with the decoder's reason.
import io

import numpy as np
import triton_python_backend_utils as pb_utils
from PIL import Image

SIDE = 299


def to_tensor(jpeg):
    img = Image.open(io.BytesIO(jpeg))
    if img.format != "JPEG":
        raise ValueError("not a JPEG (%s)" % img.format)
    img = img.convert("RGB").resize((SIDE, SIDE), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32) / np.float32(127.5) - np.float32(1.0)


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            frames = pb_utils.get_input_tensor_by_name(request, "image").as_numpy()
            try:
                batch = np.stack([to_tensor(bytes(f[0])) for f in frames])
            except Exception as e:  # the request fails, the model stays up
                err = pb_utils.TritonError("image: %s" % e)
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=err))
                continue
            out = pb_utils.Tensor("input", batch)
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses
