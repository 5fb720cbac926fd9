#include "export/onnx_model.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "export/onnx_graph.h"

namespace edgenas {

namespace {

// Appends nodes and initializers to a graph, naming tensors after the layer
// part that makes them ("s1.b0.expand", "s1.b0.expand.act").
class GraphWriter {
 public:
  explicit GraphWriter(onnx::GraphProto* graph) : graph_(graph) {}

  std::string Initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values) {
    return AddInitializer(graph_, name, dims, values);
  }
  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
    return AddNode(graph_, op, inputs, output);
  }

  // x -> conv (weights and bias from `conv`), named `name`.
  std::string Conv(const std::string& x, const std::string& name, const FoldedConv& conv, int stride, int groups) {
    const int64_t kernel = conv.weight.shape[2];
    const std::string w = Initializer(name + ".weight", conv.weight.shape, conv.weight.values);
    const std::string b = Initializer(name + ".bias", {static_cast<int64_t>(conv.bias.size())}, conv.bias);
    onnx::NodeProto* node = Node("Conv", {x, w, b}, name);
    SetAttribute(node, "kernel_shape", std::vector<int64_t>{kernel, kernel});
    SetAttribute(node, "strides", std::vector<int64_t>{stride, stride});
    SetAttribute(node, "pads", std::vector<int64_t>{kernel / 2, kernel / 2, kernel / 2, kernel / 2});
    SetAttribute(node, "group", int64_t{groups});
    return name;
  }

  std::string Activate(const std::string& x, Activation activation) {
    switch (activation) {
      case Activation::kNone: return x;
      case Activation::kReLU: Node("Relu", {x}, x + ".relu"); return x + ".relu";
      case Activation::kReLU6: {
        const std::string lo = Initializer(x + ".relu6.min", {}, {0.0f});
        const std::string hi = Initializer(x + ".relu6.max", {}, {6.0f});
        Node("Clip", {x, lo, hi}, x + ".relu6");
        return x + ".relu6";
      }
      case Activation::kHSwish:
        return Node("Mul", {x, HardSigmoid(x, x + ".hsigmoid")}, x + ".hswish")->output(0);
    }
    return x;
  }

  // torch's hardsigmoid: relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1).
  std::string HardSigmoid(const std::string& x, const std::string& name) {
    onnx::NodeProto* node = Node("HardSigmoid", {x}, name);
    SetAttribute(node, "alpha", 1.0f / 6.0f);
    SetAttribute(node, "beta", 0.5f);
    return name;
  }

  // FBNet's shuffle: [N, g, C/g, H, W] -> [N, C/g, g, H, W], as a Reshape,
  // Transpose and Reshape (a 0 in a Reshape shape copies that input dimension).
  std::string ChannelShuffle(const std::string& x, int groups, int channels, int size) {
    const std::string split = AddInitializer(graph_, x + ".shuffle.split_shape", {5},
                                             std::vector<int64_t>{0, groups, channels / groups, size, size});
    const std::string merged =
        AddInitializer(graph_, x + ".shuffle.merged_shape", {4}, std::vector<int64_t>{0, channels, size, size});
    Node("Reshape", {x, split}, x + ".shuffle.split");
    SetAttribute(Node("Transpose", {x + ".shuffle.split"}, x + ".shuffle.transposed"), "perm",
                 std::vector<int64_t>{0, 2, 1, 3, 4});
    return Node("Reshape", {x + ".shuffle.transposed", merged}, x + ".shuffle")->output(0);
  }

 private:
  onnx::GraphProto* graph_;
};

// The nodes of one layer; returns the name of its output.
std::string WriteLayer(GraphWriter& g, const LayerSpec& s, const FoldedLayer& f, const std::string& x) {
  switch (s.op) {
    case LayerOp::kConv:
      return g.Activate(g.Conv(x, s.name + ".conv", f.conv, s.stride, s.groups), s.activation);
    case LayerOp::kMBConv: {
      std::string y = x;
      if (s.has_expand_conv) {
        y = g.Activate(g.Conv(y, s.name + ".expand", f.expand, 1, s.groups), s.activation);
        if (s.groups > 1) y = g.ChannelShuffle(y, s.groups, s.mid_channels, s.in_size);
      }
      y = g.Activate(g.Conv(y, s.name + ".depthwise", f.depthwise, s.stride, s.mid_channels), s.activation);
      if (s.se) {
        const std::string pooled = g.Node("GlobalAveragePool", {y}, s.name + ".se.pool")->output(0);
        const std::string reduced = g.Conv(pooled, s.name + ".se_reduce", f.se_reduce, 1, 1);
        const std::string relu = g.Activate(reduced, Activation::kReLU);
        const std::string gate = g.HardSigmoid(g.Conv(relu, s.name + ".se_expand", f.se_expand, 1, 1),
                                               s.name + ".se.gate");
        y = g.Node("Mul", {y, gate}, s.name + ".se")->output(0);
      }
      y = g.Conv(y, s.name + ".project", f.project, 1, s.groups);
      if (s.residual) y = g.Node("Add", {y, x}, s.name + ".residual")->output(0);
      return y;
    }
    case LayerOp::kIdentity:
      return x;
    case LayerOp::kGlobalAvgPool:
      return g.Node("GlobalAveragePool", {x}, s.name + ".pool")->output(0);
    case LayerOp::kLinear: {
      const std::string flat = g.Node("Flatten", {x}, s.name + ".flatten")->output(0);
      const std::string w = g.Initializer(s.name + ".weight", f.linear.weight.shape, f.linear.weight.values);
      const std::string b =
          g.Initializer(s.name + ".bias", {static_cast<int64_t>(f.linear.bias.size())}, f.linear.bias);
      onnx::NodeProto* gemm = g.Node("Gemm", {flat, w, b}, s.name + ".gemm");
      SetAttribute(gemm, "transB", int64_t{1});
      return gemm->output(0);
    }
  }
  return x;
}

void SetFloatTensorType(onnx::ValueInfoProto* value, const std::string& name, const std::vector<int64_t>& dims) {
  value->set_name(name);
  onnx::TypeProto_Tensor* type = value->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* shape = type->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

void AddMetadata(onnx::ModelProto* model, const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto* entry = model->add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

// An opset-13 model whose graph `name` reads `input` [batch, dims...].
onnx::ModelProto EmptyModel(const std::string& name, const std::vector<int64_t>& input_dims) {
  onnx::ModelProto model;
  model.set_ir_version(7);  // the IR version of opset 13
  model.set_producer_name("edgenas");
  model.set_producer_version(EDGENAS_VERSION);
  model.add_opset_import()->set_version(kOnnxOpset);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(name);
  SetFloatTensorType(graph->add_input(), "input", input_dims);
  return model;
}

// Renames the last node's output, `x`, to the graph's output `name`.
void SetGraphOutput(onnx::GraphProto* graph, const std::string& x, const std::string& name,
                    const std::vector<int64_t>& dims) {
  onnx::NodeProto* final_node = graph->mutable_node(graph->node_size() - 1);
  EDGENAS_ASSERT(final_node->output(0) == x);
  final_node->set_output(0, name);
  SetFloatTensorType(graph->add_output(), name, dims);
}

}  // namespace

onnx::ModelProto BuildFp32Model(const FoldedNetwork& network, const ModelDescription& d) {
  const NetworkSpec& spec = network.spec;
  EDGENAS_ASSERT(spec.layers.size() == network.layers.size() && !spec.layers.empty());
  const LayerSpec& last = spec.layers.back();
  EDGENAS_THROW_IF_NOT_FMT(last.op == LayerOp::kLinear, "the network ends in {}, not in a linear classifier",
                           LayerOpToString(last.op));

  onnx::ModelProto model = EmptyModel(d.arch.empty() ? "network" : d.arch,
                                      {spec.input_channels, spec.resolution, spec.resolution});
  onnx::GraphProto* graph = model.mutable_graph();
  GraphWriter g(graph);
  std::string x = "input";
  for (size_t i = 0; i < spec.layers.size(); ++i) x = WriteLayer(g, spec.layers[i], network.layers[i], x);
  SetGraphOutput(graph, x, "logits", {last.out_channels});

  std::vector<std::string> classes = d.class_names;
  if (classes.empty()) {
    for (int i = 0; i < last.out_channels; ++i) classes.push_back(std::to_string(i));
  }
  EDGENAS_THROW_IF_NOT_FMT(static_cast<int>(classes.size()) == last.out_channels,
                           "{} class names for a network of {} outputs", classes.size(), last.out_channels);
  AddMetadata(&model, "input_name", "input");
  AddMetadata(&model, "input_shape", fmt::format("[\"batch\", {}, {}, {}]", spec.input_channels, spec.resolution,
                                                  spec.resolution));
  AddMetadata(&model, "input_layout", "NCHW");
  AddMetadata(&model, "resolution", std::to_string(spec.resolution));
  AddMetadata(&model, "pixel_scaling", "x = (pixel / 255 - mean[c]) / std[c]");
  AddMetadata(&model, "resize", "images of another size: bilinear, half-pixel centres (align_corners=False), after scaling");
  AddMetadata(&model, "mean", nlohmann::json(d.mean).dump());
  AddMetadata(&model, "std", nlohmann::json(d.std).dump());
  AddMetadata(&model, "class_names", nlohmann::json(classes).dump());
  AddMetadata(&model, "output_name", "logits");
  AddMetadata(&model, "space", d.space);
  AddMetadata(&model, "arch", d.arch);
  AddMetadata(&model, "weights", d.trained ? "trained" : "untrained: a fresh initialisation, for timing only");
  AddMetadata(&model, "precision", "fp32");
  return model;
}

onnx::ModelProto BuildLayerModel(const LayerSpec& layer, const FoldedLayer& weights) {
  EDGENAS_THROW_IF_NOT_FMT(layer.op != LayerOp::kIdentity, "{}: an identity layer has no nodes to run", layer.name);
  onnx::ModelProto model = EmptyModel(layer.name, {layer.in_channels, layer.in_size, layer.in_size});
  onnx::GraphProto* graph = model.mutable_graph();
  GraphWriter g(graph);
  std::string x = WriteLayer(g, layer, weights, "input");
  if (layer.op == LayerOp::kLinear) {
    SetGraphOutput(graph, x, "output", {layer.out_channels});
  } else {
    x = g.Node("Identity", {x}, "output.identity")->output(0);
    SetGraphOutput(graph, x, "output", {layer.out_channels, layer.out_size, layer.out_size});
  }
  AddMetadata(&model, "layer", layer.name);
  AddMetadata(&model, "precision", "fp32");
  return model;
}

void CheckOnnxModel(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception& e) {
    EDGENAS_THROW_FMT("the ONNX model fails ONNX's checks: {}", e.what());
  }
}

void WriteOnnxModel(const onnx::ModelProto& model, const std::string& path) {
  CheckOnnxModel(model);
  std::string bytes;
  EDGENAS_THROW_IF_NOT_FMT(model.SerializeToString(&bytes), "{}: could not serialise the ONNX model", path);
  WriteFileAtomically(path, bytes);
}

std::map<std::string, std::string> ModelMetadata(const onnx::ModelProto& model) {
  std::map<std::string, std::string> props;
  for (const onnx::StringStringEntryProto& entry : model.metadata_props()) props[entry.key()] = entry.value();
  return props;
}

}  // namespace edgenas
