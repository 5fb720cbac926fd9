// ONNX models of folded networks, built with the ONNX protobuf classes
// (libonnx) and checked with ONNX's own checker and shape inference before
// they are written.
//
// Graph: input "input" [batch, C, R, R] (float, NCHW, already scaled as the
// metadata says) -> one node group per LayerSpec -> output "logits" [batch, classes].
// Opset 13, so every operator is one ONNX Runtime and older runtimes run:
// h-swish is x * HardSigmoid(x) (HardSwish itself is opset 14), ReLU6 is Clip.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "export/folded_network.h"

namespace edgenas {

inline constexpr int kOnnxOpset = 13;

// How to feed the model, and what it is: recorded in the model's
// metadata_props so that any runtime can prepare its input.
struct ModelDescription {
  std::string space;
  std::string arch;
  bool trained = true;                   // false: the weights are a fresh initialisation
  std::vector<float> mean, std;          // per input channel, of pixel / 255: x = (p / 255 - mean) / std
  std::vector<std::string> class_names;  // empty: "0", "1", ...
};

// The fp32 model of `network`.
onnx::ModelProto BuildFp32Model(const FoldedNetwork& network, const ModelDescription& description);

// One layer alone, for timing it: "input" [batch, in, size, size] -> the
// layer's nodes exactly as BuildFp32Model writes them -> "output". Its output
// passes through an Identity, so that BuildInt8Model quantizes it as inside a
// network, where the next layer reads it quantized; a linear layer's output
// stays float, as the logits do. Throws Error for an identity layer.
onnx::ModelProto BuildLayerModel(const LayerSpec& layer, const FoldedLayer& weights);

// ONNX's checker and strict shape inference; throws Error with ONNX's message.
// Shape inference also proves the graph's output is [batch, classes].
void CheckOnnxModel(const onnx::ModelProto& model);

// Checks `model`, then writes it atomically: `path` is whole or untouched.
void WriteOnnxModel(const onnx::ModelProto& model, const std::string& path);

// metadata_props as a map.
std::map<std::string, std::string> ModelMetadata(const onnx::ModelProto& model);

}  // namespace edgenas
