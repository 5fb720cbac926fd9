#include "export/onnx_in_libtorch.h"

#include <cstring>
#include <map>

#include <fmt/format.h>

#include "common/error.h"

namespace edgenas {

namespace {

const onnx::AttributeProto* Attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

// A per-axis parameter ([C]) shaped to broadcast along `axis` of a rank-`rank` tensor.
torch::Tensor AlongAxis(const torch::Tensor& p, int64_t axis, int64_t rank) {
  if (p.dim() == 0) return p;
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(axis)] = p.numel();
  return p.reshape(shape);
}

}  // namespace

torch::Tensor InitializerTensor(const onnx::TensorProto& t) {
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  auto from_raw = [&](torch::ScalarType type, size_t element_size) {
    const size_t count = t.raw_data().size() / element_size;
    torch::Tensor out = torch::empty({static_cast<int64_t>(count)}, type);
    std::memcpy(out.data_ptr(), t.raw_data().data(), t.raw_data().size());
    return out.reshape(dims).to(torch::kFloat);
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!t.raw_data().empty()) return from_raw(torch::kFloat, 4);
      return torch::tensor(std::vector<float>(t.float_data().begin(), t.float_data().end())).reshape(dims);
    case onnx::TensorProto::INT8: return from_raw(torch::kChar, 1);
    case onnx::TensorProto::UINT8: return from_raw(torch::kByte, 1);
    case onnx::TensorProto::INT32: return from_raw(torch::kInt, 4);
    case onnx::TensorProto::INT64:
      return torch::tensor(std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end()), torch::kLong);
    default: EDGENAS_THROW_FMT("initializer {}: data type {} is not one this reader knows", t.name(), t.data_type());
  }
}

torch::Tensor RunFloatNode(const onnx::NodeProto& node, const std::vector<torch::Tensor>& in) {
  const std::string& op = node.op_type();
  if (op == "Conv") {
    const auto* strides = Attribute(node, "strides");
    const auto* pads = Attribute(node, "pads");
    const auto* group = Attribute(node, "group");
    return torch::conv2d(in[0], in[1], in.size() > 2 ? in[2] : torch::Tensor(), {strides->ints(0), strides->ints(1)},
                         {pads->ints(0), pads->ints(1)}, {1, 1}, group != nullptr ? group->i() : 1);
  }
  if (op == "Gemm") {
    const auto* trans_b = Attribute(node, "transB");
    const torch::Tensor w = trans_b != nullptr && trans_b->i() == 1 ? in[1].t() : in[1];
    const torch::Tensor out = torch::matmul(in[0], w);
    return in.size() > 2 ? out + in[2] : out;
  }
  if (op == "Relu") return torch::relu(in[0]);
  if (op == "Clip") return torch::clamp(in[0], in[1].item<float>(), in[2].item<float>());
  if (op == "HardSigmoid") {
    const float alpha = Attribute(node, "alpha")->f(), beta = Attribute(node, "beta")->f();
    return torch::clamp(in[0] * alpha + beta, 0, 1);
  }
  if (op == "Mul") return in[0] * in[1];
  if (op == "Add") return in[0] + in[1];
  if (op == "GlobalAveragePool") return in[0].mean({2, 3}, /*keepdim=*/true);
  if (op == "Flatten") return in[0].flatten(1);
  if (op == "Reshape") {
    const torch::Tensor shape_tensor = in[1].to(torch::kLong).contiguous();
    std::vector<int64_t> shape(shape_tensor.data_ptr<int64_t>(), shape_tensor.data_ptr<int64_t>() + shape_tensor.numel());
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0) shape[i] = in[0].size(static_cast<int64_t>(i));
    }
    return in[0].reshape(shape);
  }
  if (op == "Transpose") {
    const auto* perm = Attribute(node, "perm");
    return in[0].permute(std::vector<int64_t>(perm->ints().begin(), perm->ints().end())).contiguous();
  }
  EDGENAS_THROW_FMT("node {}: operator {} is not one this reader runs", node.name(), op);
}

torch::Tensor RunOnnxInLibTorch(const onnx::ModelProto& model, const torch::Tensor& input) {
  torch::NoGradGuard no_grad;
  const onnx::GraphProto& g = model.graph();
  std::map<std::string, torch::Tensor> values;
  // Integer types of quantized tensors, which decide saturation bounds.
  std::map<std::string, int> types;
  for (const onnx::TensorProto& t : g.initializer()) {
    values[t.name()] = InitializerTensor(t);
    types[t.name()] = t.data_type();
  }
  values[g.input(0).name()] = input.to(torch::kFloat);
  for (const onnx::NodeProto& node : g.node()) {
    const std::string& op = node.op_type();
    std::vector<torch::Tensor> in;
    for (const std::string& name : node.input()) {
      const auto it = values.find(name);
      EDGENAS_THROW_IF_NOT_FMT(it != values.end(), "node {}: no value for input '{}'", node.name(), name);
      in.push_back(it->second);
    }
    torch::Tensor out;
    if (op == "QuantizeLinear") {
      // y = saturate(round_half_even(x / scale) + zero_point); torch::round
      // rounds half to even.
      const bool is_uint8 = types.at(node.input(2)) == onnx::TensorProto::UINT8;
      out = torch::clamp(torch::round(in[0] / in[1]) + in[2], is_uint8 ? 0 : -128, is_uint8 ? 255 : 127);
      types[node.output(0)] = types.at(node.input(2));
    } else if (op == "DequantizeLinear") {
      const auto* axis_attribute = Attribute(node, "axis");
      const int64_t axis = axis_attribute != nullptr ? axis_attribute->i() : 1;
      const torch::Tensor scale = AlongAxis(in[1], axis, in[0].dim());
      const torch::Tensor zero = in.size() > 2 ? AlongAxis(in[2], axis, in[0].dim()) : torch::zeros({});
      out = (in[0] - zero) * scale;
    } else {
      out = RunFloatNode(node, in);
    }
    values[node.output(0)] = out;
  }
  return values.at(g.output(0).name());
}

}  // namespace edgenas
