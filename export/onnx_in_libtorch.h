// A second implementation of the ONNX models this project writes: their
// graphs run node by node with LibTorch ops, QuantizeLinear and
// DequantizeLinear as the ONNX spec defines them (round half to even,
// saturate). Tests compare it with ONNX Runtime on the same files, which
// checks both the graphs and the QDQ conventions (tests/export/).
//
// Only the operators the writers emit: Conv, Gemm, Relu, Clip, HardSigmoid,
// Mul, Add, GlobalAveragePool, Flatten, Reshape, Transpose, QuantizeLinear,
// DequantizeLinear. Anything else is an Error.
//
// LibTorch side.
#pragma once

#include <onnx/onnx_pb.h>
#include <torch/torch.h>

#include <vector>

namespace edgenas {

// The model's first output for `input` (float, the model's input shape).
torch::Tensor RunOnnxInLibTorch(const onnx::ModelProto& model, const torch::Tensor& input);

// An initializer's values as a float tensor of its shape (integer types
// converted exactly).
torch::Tensor InitializerTensor(const onnx::TensorProto& tensor);

// One node of the float operators above (not QuantizeLinear or
// DequantizeLinear) applied to its inputs, differentiably.
torch::Tensor RunFloatNode(const onnx::NodeProto& node, const std::vector<torch::Tensor>& inputs);

}  // namespace edgenas
