// Quantization-aware training (QAT): the int8 model of int8_model.h as a
// LibTorch network that computes in float what the int8 model computes, made
// trainable, then fine-tuned so the network learns to live with int8.
//
//   fp32 model + int8 model (PTQ) --FakeQuantizedNetwork--> float master weights,
//     fake quantization wherever the int8 model has a QuantizeLinear
//   --TrainQuantizationAware--> trained weights and learned activation ranges
//   --FakeQuantizedNetwork::Int8Model--> int8 model (BuildInt8Model: the same writer as PTQ)
//
// The network is the int8 graph itself, interpreted: a DequantizeLinear of an
// int8 weight becomes the float weight fake-quantized per channel (scales by
// WeightScale from the current weights, bias and input scale, recomputed
// every step, as BuildInt8Model will set them); every
// calibrated QuantizeLinear/DequantizeLinear pair becomes LibTorch's learnable
// per-tensor fake quantization (gradients to the input by the straight-through
// estimator, to the scale as in LSQ, Esser et al. 2020, here through the log of
// the scale); a pair that only
// repeats its input's parameters (after Reshape/Flatten) is the identity it
// is. Biases are rounded to int32 at input x weight scale, straight through.
// BatchNorm stays folded: the weights trained are the folded ones. Zero
// points keep their calibrated values, so a ReLU folded into a zero point of
// 0 stays a ReLU.
//
// LibTorch side.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "datasets/image_dataset.h"
#include "export/int8_model.h"
#include "train/image_batches.h"

namespace edgenas {

class FakeQuantizedNetworkImpl : public torch::nn::Module {
 public:
  // `int8` is BuildInt8Model(fp32, ranges, options) for some ranges and
  // options; `fp32` gives the float weights. Throws Error when they do not
  // belong together.
  FakeQuantizedNetworkImpl(const onnx::ModelProto& fp32, const onnx::ModelProto& int8);

  // Logits for images as the models take them; differentiable.
  torch::Tensor forward(const torch::Tensor& input);

  // Weights of the Conv and Gemm nodes (weight decay applies to them), and
  // the rest: biases and activation scales.
  std::vector<torch::Tensor> Weights() const;
  std::vector<torch::Tensor> BiasesAndScales() const;

  // The fp32 model with the current weights and biases.
  onnx::ModelProto Fp32Model() const;
  // The range each activation quantizer currently represents: [-z s, (255 - z) s].
  std::map<std::string, TensorRange> Ranges() const;
  // BuildInt8Model of the two above, with the int8 model's weight granularity.
  onnx::ModelProto Int8Model() const;

 private:
  // How one node of the int8 graph runs.
  enum class Step { kFloatNode, kWeight, kBias, kQuantize, kIdentity };
  struct GraphStep {
    Step step;
    const onnx::NodeProto* node;
    std::string parameter;  // kWeight, kBias: the fp32 initializer; kQuantize: the quantized tensor
    // kWeight: the bias of the same node ("" if none); kBias: its weight. And
    // the quantizer of the node's input.
    std::string bias, input_quantizer;
  };

  // Per output channel ([out], float) of a kWeight step.
  torch::Tensor WeightScales(const GraphStep& step) const;

  onnx::ModelProto fp32_, int8_;
  Int8Options options_;
  std::vector<GraphStep> steps_;
  std::map<std::string, torch::Tensor> constants_;   // other initializers (shapes, Clip bounds)
  std::map<std::string, torch::Tensor> parameters_;  // fp32 initializer -> trainable weight or bias
  std::vector<std::string> weight_names_;
  // The scale is learned as the log of its ratio to the calibrated one: it
  // stays positive, moves by relative steps (a scale of 0.01 and one of 10
  // learn alike; a plain scale could be stepped through zero), and is exactly
  // the calibrated scale before training.
  struct ActivationQuantizer {
    torch::Tensor calibrated_scale;  // fixed, [1]
    torch::Tensor log_ratio;         // trainable, [1], 0 at the start
    torch::Tensor zero_point;        // fixed, [1], float as the learnable op takes it
    torch::Tensor Scale() const { return calibrated_scale * log_ratio.exp(); }
  };
  std::map<std::string, ActivationQuantizer> quantizers_;
};
TORCH_MODULE(FakeQuantizedNetwork);

struct QatOptions {
  int epochs = 1;
  double learning_rate = 0.01;  // peak for batch_size; cosine to 0 over the run, no warm-up
  int batch_size = 128;
  double momentum = 0.9;        // Nesterov
  double weight_decay = 4e-5;   // weights only
  double label_smoothing = 0.1;
  Augmentation augmentation{2, true};
  uint64_t seed = 0;
  int threads = 1;
};

struct QatEpoch {
  int epoch = 0;
  double mean_loss = 0;
  double seconds = 0;
};

// Fine-tunes `net` on all of `train`, fed by `contract`. `progress` (may be
// empty) gets a line about every tenth of an epoch.
std::vector<QatEpoch> TrainQuantizationAware(FakeQuantizedNetwork& net, const ImageDataset& train,
                                             const InputContract& contract, const QatOptions& options,
                                             const std::function<void(const std::string&)>& progress = {});

}  // namespace edgenas
