#include "export/onnx_graph.h"

#include <cstring>

#include "common/error.h"

namespace edgenas {

namespace {

template <typename T>
std::string AddRaw(onnx::GraphProto* graph, const std::string& name, int type, const std::vector<int64_t>& dims,
                   const std::vector<T>& values) {
  onnx::TensorProto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return name;
}

onnx::AttributeProto* NewAttribute(onnx::NodeProto* node, const char* name, onnx::AttributeProto::AttributeType type) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(type);
  return a;
}

}  // namespace

onnx::NodeProto* AddNode(onnx::GraphProto* graph, const std::string& op, const std::vector<std::string>& inputs,
                         const std::string& output) {
  onnx::NodeProto* node = graph->add_node();
  node->set_op_type(op);
  node->set_name(output);
  for (const std::string& input : inputs) node->add_input(input);
  node->add_output(output);
  return node;
}

std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<float>& values) {
  return AddRaw(graph, name, onnx::TensorProto::FLOAT, dims, values);
}
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<int8_t>& values) {
  return AddRaw(graph, name, onnx::TensorProto::INT8, dims, values);
}
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<uint8_t>& values) {
  return AddRaw(graph, name, onnx::TensorProto::UINT8, dims, values);
}
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<int32_t>& values) {
  return AddRaw(graph, name, onnx::TensorProto::INT32, dims, values);
}
std::string AddInitializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<int64_t>& values) {
  onnx::TensorProto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
  return name;
}

void SetAttribute(onnx::NodeProto* node, const char* name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = NewAttribute(node, name, onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}
void SetAttribute(onnx::NodeProto* node, const char* name, int64_t value) {
  NewAttribute(node, name, onnx::AttributeProto::INT)->set_i(value);
}
void SetAttribute(onnx::NodeProto* node, const char* name, float value) {
  NewAttribute(node, name, onnx::AttributeProto::FLOAT)->set_f(value);
}

std::vector<float> FloatValues(const onnx::TensorProto& t) {
  EDGENAS_THROW_IF_NOT_FMT(t.data_type() == onnx::TensorProto::FLOAT, "initializer {} is not float", t.name());
  if (t.raw_data().empty()) return {t.float_data().begin(), t.float_data().end()};
  std::vector<float> v(t.raw_data().size() / sizeof(float));
  std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(float));
  return v;
}

}  // namespace edgenas
