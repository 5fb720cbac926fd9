#include "export/int8_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <onnx/shape_inference/implementation.h>

#include "common/error.h"
#include "export/onnx_graph.h"

namespace edgenas {

namespace {

// Half to even, as QuantizeLinear rounds (the default floating-point
// environment's rounding mode), then saturated to [lo, hi].
template <typename T>
T RoundSaturate(double x, double lo, double hi) {
  return static_cast<T>(std::clamp(std::nearbyint(x), lo, hi));
}

struct GraphIndex {
  std::map<std::string, int> producer;
  std::map<std::string, std::vector<int>> consumers;
  std::map<std::string, const onnx::TensorProto*> initializers;
  std::set<std::string> graph_outputs;

  explicit GraphIndex(const onnx::GraphProto& g) {
    for (int i = 0; i < g.node_size(); ++i) {
      for (const std::string& out : g.node(i).output()) producer[out] = i;
      for (const std::string& in : g.node(i).input()) consumers[in].push_back(i);
    }
    for (const onnx::TensorProto& t : g.initializer()) initializers[t.name()] = &t;
    for (const onnx::ValueInfoProto& v : g.output()) graph_outputs.insert(v.name());
  }
};

bool IsPassThrough(const std::string& op) { return op == "Reshape" || op == "Transpose" || op == "Flatten"; }

// Relu and Clip nodes folded into the Conv before them (they are the Conv
// output's only consumer), both ways round.
struct FoldedActivations {
  std::set<int> activations;            // node indices of the folded Relu/Clip
  std::map<int, int> activation_of_conv;  // Conv node -> its folded activation node

  FoldedActivations(const onnx::GraphProto& g, const GraphIndex& index) {
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto& node = g.node(i);
      if (node.op_type() != "Relu" && node.op_type() != "Clip") continue;
      const auto producer = index.producer.find(node.input(0));
      if (producer == index.producer.end() || g.node(producer->second).op_type() != "Conv") continue;
      if (index.consumers.at(node.input(0)).size() != 1) continue;
      activations.insert(i);
      activation_of_conv[producer->second] = i;
    }
  }
};

// Whether node i's output is a calibrated quantization point. A Conv whose
// activation is folded is quantized at the activation's output instead.
bool QuantizesOutput(const onnx::GraphProto& g, const GraphIndex& index, const FoldedActivations& folded, int i) {
  const onnx::NodeProto& node = g.node(i);
  const std::string& op = node.op_type();
  if (index.graph_outputs.count(node.output(0)) != 0) return false;  // the logits stay float
  if (op == "Conv") return folded.activation_of_conv.count(i) == 0;
  return op == "Relu" || op == "Clip" || op == "Add" || op == "Mul" || op == "GlobalAveragePool" || op == "Gemm";
}

class Int8GraphWriter {
 public:
  Int8GraphWriter(onnx::GraphProto* g, bool per_channel) : g_(g), per_channel_(per_channel) {}

  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
    return AddNode(g_, op, inputs, output);
  }

  // t -> QuantizeLinear -> DequantizeLinear -> t.dq
  std::string QuantizeDequantize(const std::string& t, const ActivationQuantization& q) {
    const std::string scale = AddInitializer(g_, t + ".scale", {}, std::vector<float>{q.scale});
    const std::string zero = AddInitializer(g_, t + ".zero_point", {}, std::vector<uint8_t>{q.zero_point});
    Node("QuantizeLinear", {t, scale, zero}, t + ".q");
    Node("DequantizeLinear", {t + ".q", scale, zero}, t + ".dq");
    return t + ".dq";
  }

  // A Conv or Gemm weight [out, ...] as int8 per output channel (or per
  // tensor), its scales from WeightScale with `bias` (empty: none) at
  // `input_scale`; returns the DequantizeLinear output and the scales.
  std::string Weight(const onnx::TensorProto& w, const std::vector<float>& bias, float input_scale,
                     std::vector<float>* scales) {
    const std::vector<float> values = FloatValues(w);
    const int64_t out = w.dims(0);
    const size_t per_channel = values.size() / static_cast<size_t>(out);
    std::vector<double> amax(static_cast<size_t>(out), 0.0), bias_magnitude(static_cast<size_t>(out), 0.0);
    for (int64_t c = 0; c < out; ++c) {
      for (size_t i = 0; i < per_channel; ++i) {
        amax[c] = std::max(amax[c], std::fabs(double{values[c * per_channel + i]}));
      }
      if (!bias.empty()) bias_magnitude[c] = std::fabs(double{bias[c]});
    }
    if (!per_channel_) {
      const double tensor_amax = *std::max_element(amax.begin(), amax.end());
      const double tensor_bias = *std::max_element(bias_magnitude.begin(), bias_magnitude.end());
      amax.assign(amax.size(), tensor_amax);
      bias_magnitude.assign(amax.size(), tensor_bias);
    }
    std::vector<int8_t> q(values.size());
    scales->assign(static_cast<size_t>(out), 1.0f);
    for (int64_t c = 0; c < out; ++c) {
      const float scale = static_cast<float>(WeightScale(amax[c], bias_magnitude[c], input_scale));
      (*scales)[c] = scale;
      for (size_t i = 0; i < per_channel; ++i) {
        q[c * per_channel + i] = RoundSaturate<int8_t>(double{values[c * per_channel + i]} / scale, -127, 127);
      }
    }
    const std::vector<int64_t> dims(w.dims().begin(), w.dims().end());
    AddInitializer(g_, w.name() + ".int8", dims, q);
    const std::string inputs[] = {w.name() + ".int8", w.name() + ".scale", w.name() + ".zero_point"};
    if (per_channel_) {
      AddInitializer(g_, inputs[1], {out}, *scales);
      AddInitializer(g_, inputs[2], {out}, std::vector<int8_t>(static_cast<size_t>(out), 0));
      SetAttribute(Node("DequantizeLinear", {inputs[0], inputs[1], inputs[2]}, w.name() + ".dq"), "axis", int64_t{0});
    } else {
      AddInitializer(g_, inputs[1], {}, std::vector<float>{scales->at(0)});
      AddInitializer(g_, inputs[2], {}, std::vector<int8_t>{0});
      Node("DequantizeLinear", {inputs[0], inputs[1], inputs[2]}, w.name() + ".dq");
    }
    return w.name() + ".dq";
  }

  // A bias as int32 with scale input_scale x weight_scale[c].
  std::string Bias(const onnx::TensorProto& b, float input_scale, const std::vector<float>& weight_scales) {
    const std::vector<float> values = FloatValues(b);
    std::vector<float> scales(values.size());
    std::vector<int32_t> q(values.size());
    for (size_t c = 0; c < values.size(); ++c) {
      scales[c] = input_scale * weight_scales[c];
      q[c] = RoundSaturate<int32_t>(double{values[c]} / scales[c], std::numeric_limits<int32_t>::min(),
                                    std::numeric_limits<int32_t>::max());
    }
    const int64_t n = static_cast<int64_t>(values.size());
    AddInitializer(g_, b.name() + ".int32", {n}, q);
    AddInitializer(g_, b.name() + ".scale", {n}, scales);
    // No zero point: it defaults to 0, and 4 bytes a channel are a tenth of a
    // small network's int8 file.
    SetAttribute(Node("DequantizeLinear", {b.name() + ".int32", b.name() + ".scale"}, b.name() + ".dq"), "axis",
                 int64_t{0});
    return b.name() + ".dq";
  }

 private:
  onnx::GraphProto* g_;
  bool per_channel_;
};

}  // namespace

double WeightScale(double weight_amax, double bias_magnitude, double input_scale) {
  const double scale = std::max(weight_amax / 127.0, bias_magnitude / (input_scale * kInt32BiasLimit));
  return scale > 0 ? scale : 1.0;
}

ActivationQuantization QuantizeRange(const TensorRange& range) {
  EDGENAS_THROW_IF_NOT_FMT(std::isfinite(range.min) && std::isfinite(range.max) && range.min <= range.max,
                           "range [{}, {}] is not a range of finite values", range.min, range.max);
  const double lo = std::min(range.min, 0.0), hi = std::max(range.max, 0.0);
  ActivationQuantization q;
  if (hi - lo <= 0) return q;  // an all-zero tensor: any scale represents it
  q.scale = static_cast<float>((hi - lo) / 255.0);
  q.zero_point = RoundSaturate<uint8_t>(-lo / q.scale, 0, 255);
  return q;
}

std::vector<std::string> CalibrationTensors(const onnx::ModelProto& fp32) {
  const onnx::GraphProto& g = fp32.graph();
  const GraphIndex index(g);
  const FoldedActivations folded(g, index);
  std::vector<std::string> tensors = {g.input(0).name()};
  for (int i = 0; i < g.node_size(); ++i) {
    if (QuantizesOutput(g, index, folded, i)) tensors.push_back(g.node(i).output(0));
  }
  return tensors;
}

onnx::ModelProto WithExtraOutputs(const onnx::ModelProto& model, const std::vector<std::string>& tensors) {
  // Outputs need their types and shapes: shape inference gives them.
  onnx::ModelProto inferred = model;
  onnx::shape_inference::InferShapes(inferred);
  std::map<std::string, const onnx::ValueInfoProto*> infos;
  for (const onnx::ValueInfoProto& v : inferred.graph().value_info()) infos[v.name()] = &v;
  onnx::ModelProto out = model;
  for (const std::string& t : tensors) {
    if (t == model.graph().input(0).name()) continue;  // the caller has the input's values
    const auto it = infos.find(t);
    EDGENAS_THROW_IF_NOT_FMT(it != infos.end(), "no tensor '{}' in the model", t);
    *out.mutable_graph()->add_output() = *it->second;
  }
  return out;
}

onnx::ModelProto BuildInt8Model(const onnx::ModelProto& fp32, const std::map<std::string, TensorRange>& ranges,
                                const Int8Options& options) {
  const onnx::GraphProto& source = fp32.graph();
  const GraphIndex index(source);
  const FoldedActivations folded(source, index);

  onnx::ModelProto model = fp32;
  onnx::GraphProto* graph = model.mutable_graph();
  graph->clear_node();
  graph->clear_initializer();
  // Initializers other than Conv/Gemm weights and biases and the folded Clips'
  // bounds (Reshape shapes) are kept as they are.
  std::set<std::string> replaced;
  for (int i = 0; i < source.node_size(); ++i) {
    const onnx::NodeProto& node = source.node(i);
    if (node.op_type() == "Conv" || node.op_type() == "Gemm" || folded.activations.count(i) != 0) {
      for (int k = 1; k < node.input_size(); ++k) replaced.insert(node.input(k));
    }
  }
  for (const onnx::TensorProto& t : source.initializer()) {
    if (replaced.count(t.name()) == 0) *graph->add_initializer() = t;
  }

  Int8GraphWriter w(graph, options.per_channel_weights);
  std::map<std::string, ActivationQuantization> quantized;  // tensor -> its parameters
  auto quantize = [&](const std::string& tensor, const ActivationQuantization& q) {
    quantized[tensor] = q;
    w.QuantizeDequantize(tensor, q);
  };
  auto calibrated = [&](const std::string& tensor) {
    const auto it = ranges.find(tensor);
    EDGENAS_THROW_IF_NOT_FMT(it != ranges.end(), "no calibrated range for tensor '{}'", tensor);
    return QuantizeRange(it->second);
  };

  quantize(source.input(0).name(), calibrated(source.input(0).name()));
  for (int i = 0; i < source.node_size(); ++i) {
    if (folded.activations.count(i) != 0) continue;
    onnx::NodeProto node = source.node(i);
    const std::string& op = node.op_type();
    const auto activation = folded.activation_of_conv.find(i);
    const bool activation_folded = activation != folded.activation_of_conv.end();
    if (activation_folded) {
      node.set_output(0, source.node(activation->second).output(0));  // the activation's output, now the Conv's
      node.set_name(node.output(0));
    }
    const int data_inputs = (op == "Conv" || op == "Gemm") ? 1 : node.input_size();
    for (int k = 0; k < data_inputs; ++k) {
      if (quantized.count(node.input(k)) != 0) node.set_input(k, node.input(k) + ".dq");
    }
    if (op == "Conv" || op == "Gemm") {
      const auto input = quantized.find(source.node(i).input(0));
      EDGENAS_THROW_IF_NOT_FMT(input != quantized.end(), "{}: its input '{}' is not quantized", node.name(),
                               source.node(i).input(0));
      const bool has_bias = node.input_size() > 2;
      const std::vector<float> bias = has_bias ? FloatValues(*index.initializers.at(node.input(2))) : std::vector<float>();
      std::vector<float> weight_scales;
      node.set_input(1, w.Weight(*index.initializers.at(node.input(1)), bias, input->second.scale, &weight_scales));
      if (has_bias) {
        node.set_input(2, w.Bias(*index.initializers.at(node.input(2)), input->second.scale, weight_scales));
      }
    }
    *graph->add_node() = node;
    const std::string& output = node.output(0);
    if (IsPassThrough(op) && quantized.count(source.node(i).input(0)) != 0) {
      quantize(output, quantized.at(source.node(i).input(0)));
    } else if (activation_folded || QuantizesOutput(source, index, folded, i)) {
      quantize(output, calibrated(output));
    }
  }
  for (onnx::StringStringEntryProto& entry : *model.mutable_metadata_props()) {
    if (entry.key() == "precision") {
      entry.set_value("int8 QDQ: weights int8 symmetric per output channel, activations uint8 per tensor");
    }
  }
  return model;
}

}  // namespace edgenas
