// The int8 QDQ model of a network small enough to check by hand: which
// tensors are quantized, and the exact integers (rounding half to even).
#include "export/int8_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "export/folded_network.h"
#include "export/onnx_model.h"
#include "test_util.h"

namespace edgenas {
namespace {

// input [1, 1, 2, 2] -> 1x1 conv to 2 channels + ReLU -> average pool -> linear 2 -> 3.
FoldedNetwork TinyNetwork() {
  NetworkSpec spec;
  spec.input_channels = 1;
  spec.resolution = 2;
  LayerSpec conv;
  conv.op = LayerOp::kConv;
  conv.name = "stem.0";
  conv.in_channels = 1;
  conv.out_channels = 2;
  conv.in_size = conv.out_size = 2;
  conv.activation = Activation::kReLU;
  conv.batch_norm = false;
  conv.bias = true;
  LayerSpec pool;
  pool.op = LayerOp::kGlobalAvgPool;
  pool.name = "head.0";
  pool.in_channels = pool.out_channels = 2;
  pool.in_size = 2;
  pool.out_size = 1;
  LayerSpec linear;
  linear.op = LayerOp::kLinear;
  linear.name = "head.1";
  linear.in_channels = 2;
  linear.out_channels = 3;
  linear.in_size = linear.out_size = 1;
  spec.layers = {conv, pool, linear};
  // Multiples of 1/64, so every scale and quotient below is exact: each row's
  // largest magnitude is 127/64 (scale 1/64), and its other weight is 0.5,
  // 1.5 or 2.5 steps.
  const std::map<std::string, FloatTensor> state = {
      {"stem_0.conv.weight", {{2, 1, 1, 1}, {1.0f, -0.5f}}},
      {"stem_0.conv.bias", {{2}, {0.25f, 0.0f}}},
      {"head_1.linear.weight", {{3, 2}, {127 / 64.0f, 0.5f / 64, -127 / 64.0f, 1.5f / 64, 127 / 64.0f, 2.5f / 64}}},
      {"head_1.linear.bias", {{3}, {0.01f, 0.0f, -0.01f}}},
  };
  return FoldBatchNorm(spec, state, "tiny");
}

const onnx::TensorProto& Initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const onnx::TensorProto& t : m.graph().initializer()) {
    if (t.name() == name) return t;
  }
  throw Error("no initializer " + name);
}

template <typename T>
std::vector<T> Values(const onnx::TensorProto& t) {
  if (!t.raw_data().empty()) {
    std::vector<T> v(t.raw_data().size() / sizeof(T));
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    return v;
  }
  return std::vector<T>(t.float_data().begin(), t.float_data().end());
}

TEST(Int8Model, QuantizesTheTensorsItSaysWithExactIntegers) {
  const onnx::ModelProto fp32 = BuildFp32Model(TinyNetwork(), {});
  // The ReLU is quantized at its output; the logits stay float.
  EXPECT_EQ(CalibrationTensors(fp32), (std::vector<std::string>{"input", "stem.0.conv.relu", "head.0.pool"}));
  const std::map<std::string, TensorRange> ranges = {
      {"input", {-0.99609375, 0.99609375}}, {"stem.0.conv.relu", {0.0, 2.55}}, {"head.0.pool", {0.0, 5.1}}};
  const onnx::ModelProto int8 = BuildInt8Model(fp32, ranges);
  EXPECT_NO_THROW(CheckOnnxModel(int8));

  std::vector<std::string> ops;
  for (const onnx::NodeProto& node : int8.graph().node()) ops.push_back(node.op_type());
  EXPECT_EQ(ops, (std::vector<std::string>{
                     "QuantizeLinear", "DequantizeLinear",                      // input
                     "DequantizeLinear", "DequantizeLinear", "Conv",          // weight, bias, conv (ReLU folded)
                     "QuantizeLinear", "DequantizeLinear",                      // its output
                     "GlobalAveragePool", "QuantizeLinear", "DequantizeLinear", "Flatten", "QuantizeLinear",
                     "DequantizeLinear", "DequantizeLinear", "DequantizeLinear", "Gemm"}));

  // Input [-127.5, 127.5] / 128: scale 1/128, zero point 127.5 rounded half to even: 128.
  EXPECT_EQ(Values<float>(Initializer(int8, "input.scale"))[0], 1 / 128.0f);
  EXPECT_EQ(Values<uint8_t>(Initializer(int8, "input.zero_point"))[0], 128);
  // The ReLU's output from 0: zero point 0, so QuantizeLinear clamps as ReLU does.
  EXPECT_FLOAT_EQ(Values<float>(Initializer(int8, "stem.0.conv.relu.scale"))[0], 0.01f);
  EXPECT_EQ(Values<uint8_t>(Initializer(int8, "stem.0.conv.relu.zero_point"))[0], 0);
  // Flatten keeps the pool's quantization.
  EXPECT_FLOAT_EQ(Values<float>(Initializer(int8, "head.1.flatten.scale"))[0], 0.02f);

  // Weights per output channel: 0.5, 1.5 and 2.5 steps round to 0, 2 and 2.
  EXPECT_EQ(Values<int8_t>(Initializer(int8, "head.1.weight.int8")), (std::vector<int8_t>{127, 0, -127, 2, 127, 2}));
  EXPECT_EQ(Values<float>(Initializer(int8, "head.1.weight.scale")), (std::vector<float>(3, 1 / 64.0f)));
  EXPECT_EQ(Values<int8_t>(Initializer(int8, "head.1.weight.zero_point")), (std::vector<int8_t>(3, 0)));
  EXPECT_EQ(Values<int8_t>(Initializer(int8, "stem.0.conv.weight.int8")), (std::vector<int8_t>{127, -127}));
  // Biases in int32 at input scale x weight scale: 0.01 / (0.02 / 64) = 32.
  EXPECT_EQ(Values<int32_t>(Initializer(int8, "head.1.bias.int32")), (std::vector<int32_t>{32, 0, -32}));
  // The conv's: 0.25 / ((1/128) x (1/127)) = 4064.
  EXPECT_EQ(Values<int32_t>(Initializer(int8, "stem.0.conv.bias.int32")), (std::vector<int32_t>{4064, 0}));

  const std::map<std::string, TensorRange> partial = {{"input", {-1.0, 1.0}}, {"stem.0.conv.relu", {0.0, 2.55}}};
  EXPECT_EQ(testing::ErrorOf([&] { BuildInt8Model(fp32, partial); }), "no calibrated range for tensor 'head.0.pool'");
}

// A layer whose input barely varies (here the pool's scale is 2^-36)
// has a bias that would overflow int32 at input scale x max|w| / 127: ONNX
// Runtime then wraps around and flips the logit's sign. The weight scale is
// raised until the bias fits in 2^30, and the biases still dequantize to
// themselves.
TEST(Int8Model, BiasesFitInt32EvenWhenTheInputBarelyVaries) {
  const onnx::ModelProto fp32 = BuildFp32Model(TinyNetwork(), {});
  const double tiny = std::ldexp(255.0, -36);  // pool scale 2^-36
  const std::map<std::string, TensorRange> ranges = {
      {"input", {-0.99609375, 0.99609375}}, {"stem.0.conv.relu", {0.0, 2.55}}, {"head.0.pool", {0.0, tiny}}};
  const onnx::ModelProto int8 = BuildInt8Model(fp32, ranges);
  const std::vector<int32_t> bias = Values<int32_t>(Initializer(int8, "head.1.bias.int32"));
  const std::vector<float> weight_scale = Values<float>(Initializer(int8, "head.1.weight.scale"));
  const std::vector<float> bias_scale = Values<float>(Initializer(int8, "head.1.bias.scale"));
  // Channels 0 and 2 (bias +-0.01): at 2^-36 x 1/64 the bias would be 4.4e10;
  // their weight scale becomes 0.01 / (2^-36 x 2^30) = 0.64. Channel 1 has
  // no bias and keeps max|w| / 127 = 1/64.
  EXPECT_FLOAT_EQ(weight_scale[0], 0.64f);
  EXPECT_EQ(weight_scale[1], 1 / 64.0f);
  EXPECT_FLOAT_EQ(weight_scale[2], 0.64f);
  for (size_t c = 0; c < 3; ++c) {
    // 2^30 up to the float rounding of the scale.
    EXPECT_LE(std::abs(double{bias[c]}), kInt32BiasLimit * (1 + 1e-6)) << c;
    EXPECT_NEAR(bias[c] * double{bias_scale[c]}, c == 1 ? 0.0 : (c == 0 ? 0.01 : -0.01), 1e-9) << c;
  }
  EXPECT_EQ(WeightScale(0, 0, 1), 1.0);  // an all-zero channel
  EXPECT_EQ(WeightScale(127, 0, 1e-9), 1.0);
  EXPECT_EQ(WeightScale(1, 4, 1.0 / kInt32BiasLimit), 4.0);
}

TEST(Int8Model, QuantizeRangeAlwaysRepresentsZero) {
  const ActivationQuantization positive = QuantizeRange({0.5, 2.55});  // widened to [0, 2.55]
  EXPECT_FLOAT_EQ(positive.scale, 0.01f);
  EXPECT_EQ(positive.zero_point, 0);
  const ActivationQuantization negative = QuantizeRange({-2.55, -1.0});  // widened to [-2.55, 0]
  EXPECT_EQ(negative.zero_point, 255);
  const ActivationQuantization zero = QuantizeRange({0.0, 0.0});
  EXPECT_GT(zero.scale, 0.0f);
  EXPECT_EQ(testing::ErrorOf([] { QuantizeRange({1.0, -1.0}); }), "range [1, -1] is not a range of finite values");
}

}  // namespace
}  // namespace edgenas
