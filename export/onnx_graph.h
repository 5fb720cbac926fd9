// The ONNX protobuf pieces both model writers build graphs from (onnx_model.h
// for fp32, int8_model.h for QDQ): nodes named after their output, typed
// initializers, attributes, and reading a float initializer back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace edgenas {

// A node `op` of `inputs` whose one output, `output`, also names it.
onnx::NodeProto* AddNode(onnx::GraphProto* graph, const std::string& op, const std::vector<std::string>& inputs,
                         const std::string& output);

// Initializers as raw little-endian data (int64 as int64_data); each returns `name`.
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<float>& values);
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<int8_t>& values);
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<uint8_t>& values);
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<int32_t>& values);
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<int64_t>& values);

void SetAttribute(onnx::NodeProto* node, const char* name, const std::vector<int64_t>& values);
void SetAttribute(onnx::NodeProto* node, const char* name, int64_t value);
void SetAttribute(onnx::NodeProto* node, const char* name, float value);

// The values of a FLOAT initializer, raw or as float_data.
std::vector<float> FloatValues(const onnx::TensorProto& tensor);

}  // namespace edgenas
