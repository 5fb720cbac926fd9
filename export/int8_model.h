// int8 models in ONNX Runtime's QDQ form: QuantizeLinear/DequantizeLinear
// pairs around the float graph of onnx_model.h, which runtimes fuse into
// integer kernels (ONNX Runtime: QLinearConv, QGemm, QLinearAdd, ...).
//
//   fp32 model --CalibrationTensors--> tensors to measure --(run in ONNX Runtime
//   over calibration images)--> ranges --BuildInt8Model--> int8 model
//
// - Weights: int8, symmetric (zero point 0), per output channel, in [-127, 127].
// - Biases: int32 with scale = input scale x weight scale, zero point 0.
// - Activations: uint8, asymmetric, per tensor; zero is always representable.
// - A ReLU or ReLU6 right after a Conv is folded into the Conv's output
//   quantization: a uint8 range from 0 (and to 6) clamps exactly as they do.
// - Quantized tensors: the input, every Conv output (after its folded
//   activation), every Add, Mul and GlobalAveragePool output. h-swish's and
//   squeeze-and-excite's gates (HardSigmoid, then Mul) stay float: ONNX
//   Runtime has no integer HardSigmoid, so they run in float between a
//   DequantizeLinear and a QuantizeLinear. Reshape, Transpose and Flatten
//   keep their input's quantization. The logits stay float.
// - A channel whose bias would not fit int32 at input scale x weight scale
//   (a layer whose input barely varies) gets a larger weight scale
//   (WeightScale): ONNX Runtime's integer kernels wrap around on overflow.
// Rounding is half to even and saturating, as QuantizeLinear's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace edgenas {

struct TensorRange {
  double min = 0;
  double max = 0;
};

struct ActivationQuantization {
  float scale = 1;
  uint8_t zero_point = 0;
};

// Largest |int32 bias| the writer makes: half the int32 range, leaving the
// other half for the sum of weight x input products accumulated onto it.
inline constexpr double kInt32BiasLimit = 1073741824.0;  // 2^30

// The scale of an int8 weight channel (or tensor) of largest magnitude
// `weight_amax` whose bias (0 if none) meets inputs of scale `input_scale`:
// weight_amax / 127, raised where needed so that the bias quantizes within
// kInt32BiasLimit; 1 for an all-zero channel.
double WeightScale(double weight_amax, double bias_magnitude, double input_scale);

// uint8 parameters covering [min(range.min, 0), max(range.max, 0)].
ActivationQuantization QuantizeRange(const TensorRange& range);

// The tensors of an fp32 model (BuildFp32Model) whose ranges calibration
// measures, in graph order ("input" first).
std::vector<std::string> CalibrationTensors(const onnx::ModelProto& fp32);

// `model` with `tensors` added as graph outputs, so a runtime reports them
// (all but the graph's input, whose values the caller has).
onnx::ModelProto WithExtraOutputs(const onnx::ModelProto& model, const std::vector<std::string>& tensors);

struct Int8Options {
  // false: one scale per weight tensor (for comparison; per channel is what
  // depthwise convs need, their channels' ranges differ widely).
  bool per_channel_weights = true;
};

// The QDQ int8 model of `fp32`, with every calibration tensor's range taken
// from `ranges`. Throws Error naming a tensor without a range. Its metadata
// is fp32's, with precision "int8 QDQ".
onnx::ModelProto BuildInt8Model(const onnx::ModelProto& fp32, const std::map<std::string, TensorRange>& ranges,
                                const Int8Options& options = {});

}  // namespace edgenas
