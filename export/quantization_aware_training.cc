#include "export/quantization_aware_training.h"

#include <chrono>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "common/rng.h"
#include "export/onnx_in_libtorch.h"
#include "models/torch_process.h"
#include "train/training_loop.h"

namespace edgenas {

namespace {

// The int8 writer's initializer names (int8_model.cc): weight "W" becomes
// "W.int8", bias "B" becomes "B.int32".
std::string WithoutSuffix(const std::string& name, const std::string& suffix) {
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return "";
  return name.substr(0, name.size() - suffix.size());
}

// Parameter names may not contain dots.
std::string ModuleSafe(std::string name) {
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

}  // namespace

FakeQuantizedNetworkImpl::FakeQuantizedNetworkImpl(const onnx::ModelProto& fp32, const onnx::ModelProto& int8)
    : fp32_(fp32), int8_(int8) {
  std::map<std::string, const onnx::TensorProto*> fp32_initializers, int8_initializers;
  for (const onnx::TensorProto& t : fp32.graph().initializer()) fp32_initializers[t.name()] = &t;
  for (const onnx::TensorProto& t : int8_.graph().initializer()) {
    int8_initializers[t.name()] = &t;
    // int8 weights (and their zero points) and int32 biases are replaced by
    // the trainable floats: only the other initializers are kept.
    const bool replaced = t.data_type() == onnx::TensorProto::INT8 || t.data_type() == onnx::TensorProto::INT32;
    if (!replaced) constants_[t.name()] = InitializerTensor(t);
  }
  const std::vector<std::string> calibrated_list = CalibrationTensors(fp32);
  const std::set<std::string> calibrated(calibrated_list.begin(), calibrated_list.end());

  // The fp32 initializer `name` as a trainable tensor.
  auto parameter = [&](const std::string& name, const onnx::TensorProto& quantized) {
    const auto it = fp32_initializers.find(name);
    EDGENAS_THROW_IF_NOT_FMT(it != fp32_initializers.end(), "the int8 model's '{}' has no float '{}' in the fp32 model",
                             quantized.name(), name);
    const torch::Tensor values = InitializerTensor(*it->second);
    const std::vector<int64_t> int8_shape(quantized.dims().begin(), quantized.dims().end());
    EDGENAS_THROW_IF_NOT_FMT(values.sizes() == int8_shape, "'{}' has shape {} in the fp32 model but {} in the int8 model",
                             name, fmt::join(values.sizes(), "x"), fmt::join(int8_shape, "x"));
    if (parameters_.count(name) == 0) parameters_[name] = register_parameter(ModuleSafe(name), values);
  };

  // Which Conv or Gemm takes each weight and bias, and which bias each bias
  // DequantizeLinear gives.
  std::map<std::string, const onnx::NodeProto*> consumer_of_weight, consumer_of_bias;
  std::map<std::string, std::string> bias_of;
  for (const onnx::NodeProto& node : int8_.graph().node()) {
    if (node.op_type() == "Conv" || node.op_type() == "Gemm") {
      consumer_of_weight[node.input(1)] = &node;
      if (node.input_size() > 2) consumer_of_bias[node.input(2)] = &node;
    }
    const auto initializer = int8_initializers.find(node.input(0));
    if (node.op_type() == "DequantizeLinear" && initializer != int8_initializers.end() &&
        initializer->second->data_type() == onnx::TensorProto::INT32) {
      bias_of[node.output(0)] = WithoutSuffix(node.input(0), ".int32");
    }
  }
  // The activation quantizer whose parameters each tensor carries.
  std::map<std::string, std::string> quantizer_of;
  auto inherit = [&](const onnx::NodeProto& node) {
    const auto it = quantizer_of.find(node.input(0));
    if (it != quantizer_of.end()) quantizer_of[node.output(0)] = it->second;
  };

  bool any_weight = false;
  for (const onnx::NodeProto& node : int8_.graph().node()) {
    const std::string& op = node.op_type();
    const auto initializer = int8_initializers.find(node.input(0));
    const bool from_initializer = initializer != int8_initializers.end();
    if (op == "DequantizeLinear" && from_initializer && initializer->second->data_type() == onnx::TensorProto::INT8) {
      const std::string weight = WithoutSuffix(node.input(0), ".int8");
      parameter(weight, *initializer->second);
      weight_names_.push_back(weight);
      // Per-channel DequantizeLinear nodes carry an axis (int8_model.cc).
      const bool per_channel = node.attribute_size() > 0;
      EDGENAS_THROW_IF_NOT_FMT(!any_weight || per_channel == options_.per_channel_weights,
                               "the int8 model mixes per-channel and per-tensor weights");
      options_.per_channel_weights = per_channel;
      any_weight = true;
      const auto consumer = consumer_of_weight.find(node.output(0));
      EDGENAS_THROW_IF_NOT_FMT(consumer != consumer_of_weight.end(), "no Conv or Gemm takes '{}'", node.output(0));
      const auto input_quantizer = quantizer_of.find(consumer->second->input(0));
      EDGENAS_THROW_IF_NOT_FMT(input_quantizer != quantizer_of.end(), "{}: its input '{}' is not quantized",
                               consumer->second->name(), consumer->second->input(0));
      const std::string bias = consumer->second->input_size() > 2 ? bias_of.at(consumer->second->input(2)) : "";
      steps_.push_back({Step::kWeight, &node, weight, bias, input_quantizer->second});
    } else if (op == "DequantizeLinear" && from_initializer &&
               initializer->second->data_type() == onnx::TensorProto::INT32) {
      const std::string bias = WithoutSuffix(node.input(0), ".int32");
      parameter(bias, *initializer->second);
      const onnx::NodeProto* consumer = consumer_of_bias.at(node.output(0));
      const std::string weight = WithoutSuffix(consumer->input(1), ".dq");
      steps_.push_back({Step::kBias, &node, bias, weight, quantizer_of.at(consumer->input(0))});
    } else if (op == "QuantizeLinear" && calibrated.count(node.input(0)) != 0) {
      const torch::Tensor scale = constants_.at(node.input(1)).reshape({1});
      const torch::Tensor zero_point = constants_.at(node.input(2)).reshape({1});
      quantizers_[node.input(0)] = {scale.clone(),
                                    register_parameter(ModuleSafe(node.input(0)) + "_log_scale_ratio", torch::zeros({1})),
                                    zero_point.clone()};
      quantizer_of[node.output(0)] = node.input(0);
      steps_.push_back({Step::kQuantize, &node, node.input(0)});
    } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      // A DequantizeLinear of a fake-quantized tensor, or a QuantizeLinear
      // that repeats its input's parameters: the values pass unchanged.
      inherit(node);
      steps_.push_back({Step::kIdentity, &node, ""});
    } else {
      if (op == "Reshape" || op == "Transpose" || op == "Flatten") inherit(node);
      steps_.push_back({Step::kFloatNode, &node, ""});
    }
  }
  EDGENAS_THROW_IF_NOT_FMT(quantizers_.size() == calibrated.size(),
                           "the int8 model quantizes {} of the fp32 model's {} calibrated tensors", quantizers_.size(),
                           calibrated.size());
}

torch::Tensor FakeQuantizedNetworkImpl::WeightScales(const GraphStep& s) const {
  // As BuildInt8Model sets them (WeightScale, in double as it computes
  // them), from the current weights, bias and input scale; no gradient flows
  // through them.
  torch::NoGradGuard no_grad;
  torch::Tensor amax = parameters_.at(s.parameter).abs().flatten(1).amax(1).to(torch::kDouble);
  torch::Tensor bias = s.bias.empty() ? torch::zeros_like(amax) : parameters_.at(s.bias).abs().to(torch::kDouble);
  if (!options_.per_channel_weights) {
    amax = amax.max().expand_as(amax);
    bias = bias.max().expand_as(bias);
  }
  const double input_scale = quantizers_.at(s.input_quantizer).Scale().item<double>();
  const torch::Tensor scale = torch::maximum(amax / 127.0, bias / (input_scale * kInt32BiasLimit));
  return torch::where(scale > 0, scale, torch::ones_like(scale)).to(torch::kFloat);
}

torch::Tensor FakeQuantizedNetworkImpl::forward(const torch::Tensor& input) {
  std::map<std::string, torch::Tensor> values;
  std::map<std::string, torch::Tensor> weight_scales;  // weight -> its scales in this pass
  values[int8_.graph().input(0).name()] = input;
  auto value = [&](const std::string& name) -> const torch::Tensor& {
    const auto it = values.find(name);
    if (it != values.end()) return it->second;
    return constants_.at(name);
  };
  for (const GraphStep& s : steps_) {
    const onnx::NodeProto& node = *s.node;
    torch::Tensor out;
    switch (s.step) {
      case Step::kWeight: {
        const torch::Tensor& w = parameters_.at(s.parameter);
        const torch::Tensor scale = WeightScales(s);
        weight_scales[s.parameter] = scale;
        if (options_.per_channel_weights) {
          out = torch::fake_quantize_per_channel_affine(w, scale, torch::zeros_like(scale, torch::kInt), 0, -127, 127);
        } else {
          out = torch::fake_quantize_per_tensor_affine(w, scale[0].item<double>(), 0, -127, 127);
        }
        break;
      }
      case Step::kBias: {
        // int32 at input scale x weight scale (saturation never happens:
        // WeightScale keeps |bias| / scale within 2^30); straight through.
        const torch::Tensor& b = parameters_.at(s.parameter);
        const torch::Tensor scale = weight_scales.at(s.bias) * quantizers_.at(s.input_quantizer).Scale().detach();
        out = b + (torch::round(b.detach() / scale) * scale - b.detach());
        break;
      }
      case Step::kQuantize: {
        const torch::Tensor& x = value(node.input(0));
        const ActivationQuantizer& q = quantizers_.at(s.parameter);
        // LSQ's gradient scale for the step size: 1 / sqrt(features x Q_max).
        const double features = static_cast<double>(x.numel() / std::max<int64_t>(1, x.size(0)));
        out = torch::_fake_quantize_learnable_per_tensor_affine(x, q.Scale(), q.zero_point, 0, 255,
                                                                1.0 / std::sqrt(features * 255.0));
        break;
      }
      case Step::kIdentity: out = value(node.input(0)); break;
      case Step::kFloatNode: {
        std::vector<torch::Tensor> in;
        in.reserve(static_cast<size_t>(node.input_size()));
        for (const std::string& name : node.input()) in.push_back(value(name));
        out = RunFloatNode(node, in);
        break;
      }
    }
    values[node.output(0)] = std::move(out);
  }
  return values.at(int8_.graph().output(0).name());
}

std::vector<torch::Tensor> FakeQuantizedNetworkImpl::Weights() const {
  std::vector<torch::Tensor> out;
  for (const std::string& name : weight_names_) out.push_back(parameters_.at(name));
  return out;
}

std::vector<torch::Tensor> FakeQuantizedNetworkImpl::BiasesAndScales() const {
  const std::set<std::string> weights(weight_names_.begin(), weight_names_.end());
  std::vector<torch::Tensor> out;
  for (const auto& [name, p] : parameters_) {
    if (weights.count(name) == 0) out.push_back(p);
  }
  for (const auto& [name, q] : quantizers_) out.push_back(q.log_ratio);
  return out;
}

onnx::ModelProto FakeQuantizedNetworkImpl::Fp32Model() const {
  onnx::ModelProto model = fp32_;
  for (onnx::TensorProto& t : *model.mutable_graph()->mutable_initializer()) {
    const auto it = parameters_.find(t.name());
    if (it == parameters_.end()) continue;
    const torch::Tensor values = it->second.detach().contiguous();
    t.clear_float_data();
    t.set_raw_data(std::string(static_cast<const char*>(values.data_ptr()), values.numel() * sizeof(float)));
  }
  return model;
}

std::map<std::string, TensorRange> FakeQuantizedNetworkImpl::Ranges() const {
  std::map<std::string, TensorRange> ranges;
  for (const auto& [tensor, q] : quantizers_) {
    const double scale = q.Scale().item<float>();
    const double zero = q.zero_point.item<float>();
    ranges[tensor] = {-zero * scale, (255 - zero) * scale};
  }
  return ranges;
}

onnx::ModelProto FakeQuantizedNetworkImpl::Int8Model() const {
  return BuildInt8Model(Fp32Model(), Ranges(), options_);
}

std::vector<QatEpoch> TrainQuantizationAware(FakeQuantizedNetwork& net, const ImageDataset& train,
                                             const InputContract& contract, const QatOptions& o,
                                             const std::function<void(const std::string&)>& progress) {
  using Clock = std::chrono::steady_clock;
  EDGENAS_THROW_IF_NOT_FMT(o.epochs >= 1 && o.batch_size >= 1 && o.learning_rate > 0,
                           "quantization-aware training needs epochs >= 1, batch size >= 1 and a positive learning "
                           "rate (got {}, {}, {})",
                           o.epochs, o.batch_size, o.learning_rate);
  SetTorchThreads(std::max(1, o.threads));
  KeepFreedMemory();
  const auto options = [&](double decay) {
    return std::make_unique<torch::optim::SGDOptions>(
        torch::optim::SGDOptions(o.learning_rate).momentum(o.momentum).nesterov(true).weight_decay(decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(net->Weights(), options(o.weight_decay));
  groups.emplace_back(net->BiasesAndScales(), options(0.0));
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(o.learning_rate).momentum(o.momentum).nesterov(true));

  const ImageBatcher batcher(train, contract);
  const int64_t steps_per_epoch = StepsPerEpoch(train.count(), o.batch_size);
  const double total_steps = static_cast<double>(steps_per_epoch * o.epochs);
  TrainingLoopOptions loop;
  loop.epochs = o.epochs;
  loop.batch_size = o.batch_size;
  loop.seed = o.seed;
  loop.learning_rate = [&](int64_t step) {
    return o.learning_rate * 0.5 * (1 + std::cos(M_PI * static_cast<double>(step) / total_steps));
  };
  Rng augment_rng(o.seed ^ 0x9e3779b97f4a7c15ull);
  net->train();
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  std::vector<QatEpoch> epochs;
  RunTrainingLoop(
      optimizer, train.count(), loop,
      [&](const std::vector<int64_t>& indices, int) {
        const torch::Tensor logits = net->forward(batcher.Images(indices, &o.augmentation, &augment_rng));
        return torch::nn::functional::cross_entropy(
            logits, batcher.Labels(indices),
            torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing));
      },
      [&](const EpochReport& r) {
        epochs.push_back({r.epoch, r.mean_loss, r.seconds});
        return true;
      },
      [&](const StepReport& r) {
        if (!progress) return;
        const int64_t tenth = std::max<int64_t>(1, r.steps_per_epoch / 10);
        if (r.step_in_epoch % tenth != 0 && r.step_in_epoch != r.steps_per_epoch) return;
        const double done = static_cast<double>((r.epoch - 1) * r.steps_per_epoch + r.step_in_epoch) / total_steps;
        progress(fmt::format("QAT epoch {}/{}: step {}/{}, loss {:.3f}, {:.0f} s, ETA {:.0f} s", r.epoch, o.epochs,
                             r.step_in_epoch, r.steps_per_epoch, r.loss, elapsed(), elapsed() * (1 / done - 1)));
      });
  net->eval();
  return epochs;
}

}  // namespace edgenas
