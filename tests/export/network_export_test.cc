// edgenas export's pipeline on a network trained here: fp32 and int8 ONNX
// models run in ONNX Runtime over the test set, the int8 graph's QDQ form,
// and the errors that leave nothing behind.
#include "export/network_export.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "common/file_util.h"
#include "common/rng.h"
#include "cost/hardware_profile.h"
#include "export/onnx_graph.h"
#include "export/onnx_in_libtorch.h"
#include "export/onnx_model.h"
#include "export/quantization_aware_training.h"
#include "runtime/onnx_runtime.h"
#include "space/space_loader.h"
#include "test_util.h"
#include "train/bars_dataset.h"
#include "train/classifier_training.h"
#include "train/image_batches.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;
using testing::Bars;

// Per-stage SE, h-swish and ReLU, residual blocks: every QDQ rule is used.
constexpr const char* kArch = "r16-k37.573.35-e24.342.43-w24.32.64-s1.0.1-ah.r.h";

class NetworkExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folder_ = new std::string(testing::UniqueTempPath("network_export"));
    fs::remove_all(*folder_);
    ClassifierTrainingOptions o;
    o.schedule.epochs = 2;
    o.schedule.batch_size = 32;
    o.schedule.learning_rate = 0.05;
    o.schedule.validation_images = 64;
    o.threads = 1;
    o.out_folder = *folder_ + "/weights";
    const SearchSpace space = LoadSpace("mbv3_small_input");
    metrics_ = new ClassifierMetrics(TrainClassifier(space, space.Parse(kArch), Train(), Test(), o));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*folder_);
    delete folder_;
    delete metrics_;
  }
  void SetUp() override { EDGENAS_REQUIRE_INSTALLED(OnnxRuntimeMissing()); }
  static ImageDataset Train() { return Bars(320, 1); }
  static ImageDataset Test() { return Bars(200, 2); }
  // How an exported model takes its images, from the fp32 file's metadata
  // alone (what any runtime would feed it).
  static InputContract ContractOf(const std::string& export_folder) {
    onnx::ModelProto model;
    EXPECT_TRUE(model.ParseFromString(ReadFile(export_folder + "/model_fp32.onnx")));
    const std::map<std::string, std::string> meta = ModelMetadata(model);
    InputContract contract;
    contract.channels = nlohmann::json::parse(meta.at("input_shape"))[1].get<int>();
    contract.resolution = std::stoi(meta.at("resolution"));
    contract.mean = nlohmann::json::parse(meta.at("mean")).get<std::vector<float>>();
    contract.std = nlohmann::json::parse(meta.at("std")).get<std::vector<float>>();
    return contract;
  }
  // The images of `data` as the model exported into `export_folder` takes them.
  static torch::Tensor ImagesFor(const std::string& export_folder, const ImageDataset& data) {
    std::vector<int64_t> all(static_cast<size_t>(data.count()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    return ImageBatcher(data, ContractOf(export_folder)).Images(all, nullptr, nullptr).contiguous();
  }
  static ExportOptions Options(const std::string& out) {
    ExportOptions o;
    o.weights_folder = *folder_ + "/weights";
    o.out_folder = *folder_ + "/" + out;
    o.calibration_images = 128;
    o.timing_runs = 5;
    return o;
  }
  // --weights none: a fresh initialisation of `arch`, calibrated on two random inputs.
  static ExportOptions UntrainedOptions(const std::string& out, const std::string& space, const std::string& arch,
                                        int timing_runs) {
    ExportOptions o = Options(out);
    o.untrained = true;
    o.weights_folder.clear();
    o.space = space;
    o.arch = arch;
    o.calibration_images = 2;
    o.timing_runs = timing_runs;
    return o;
  }
  // Names in `folder`'s parent that start with its name: the folder and any
  // leftovers of a staging folder.
  static std::vector<std::string> Siblings(const std::string& folder) {
    std::vector<std::string> names;
    const std::string stem = fs::path(folder).filename().string();
    for (const auto& entry : fs::directory_iterator(fs::path(folder).parent_path())) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(stem, 0) == 0) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static std::string* folder_;
  static ClassifierMetrics* metrics_;
};
std::string* NetworkExport::folder_ = nullptr;
ClassifierMetrics* NetworkExport::metrics_ = nullptr;

const onnx::TensorProto* FindInitializer(const onnx::GraphProto& g, const std::string& name) {
  for (const onnx::TensorProto& t : g.initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

onnx::ModelProto ReadModel(const std::string& path) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(ReadFile(path))) << path;
  return model;
}

// The logits ONNX Runtime computes with the model file at `path` for `x`.
torch::Tensor OnnxRuntimeLogits(const std::string& path, const torch::Tensor& x) {
  OnnxRuntimeJob job;
  job.model_path = path;
  job.input.assign(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  job.input_shape = {x.size(0), x.size(1), x.size(2), x.size(3)};
  const OnnxRuntimeResult ort = RunInOnnxRuntime({job}, 1).at(0);
  return torch::tensor(ort.output).reshape({x.size(0), -1});
}

double Top1Agreement(const torch::Tensor& a, const torch::Tensor& b) {
  return a.argmax(1).eq(b.argmax(1)).to(torch::kDouble).mean().item<double>();
}

TEST_F(NetworkExport, Int8AndFp32RunInOnnxRuntimeAsTrained) {
  const ImageDataset train = Train(), test = Test();
  const ExportOptions o = Options("export");
  const ExportReport r = ExportNetwork(o, &train, &test);
  // The fp32 model is the trained network: LibTorch's test accuracy.
  EXPECT_NEAR(r.fp32.test_top1, metrics_->test_top1, 0.5 + 1e-9);  // one image of 200
  EXPECT_GT(r.fp32.test_top1, 90.0);
  EXPECT_GE(r.top1_agreement, 99.0);
  EXPECT_NEAR(r.int8.test_top1, r.fp32.test_top1, 1.0);
  EXPECT_GT(r.fp32.latency_ms, 0.0);
  EXPECT_GT(r.int8.latency_ms, 0.0);
  EXPECT_LT(r.int8.file_bytes, r.fp32.file_bytes / 2);
  EXPECT_EQ(Siblings(o.out_folder), std::vector<std::string>{"export"});
  for (const char* file : {"model_fp32.onnx", "model_int8.onnx", "report.json", "report.md"}) {
    EXPECT_TRUE(PathExists(o.out_folder + "/" + file)) << file;
  }
  const nlohmann::json report = nlohmann::json::parse(ReadFile(o.out_folder + "/report.json"));
  EXPECT_EQ(report["arch"], kArch);
  EXPECT_DOUBLE_EQ(report["onnxruntime_int8"]["test_top1"].get<double>(), r.int8.test_top1);

  // The int8 graph, read back: every Conv and Gemm takes its weight through a
  // per-channel DequantizeLinear of int8 values with zero points 0, and its
  // input through a DequantizeLinear; every activation scale is positive and
  // finite; the ReLUs are folded into quantization.
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(ReadFile(o.out_folder + "/model_int8.onnx")));
  const onnx::GraphProto& g = model.graph();
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const onnx::NodeProto& node : g.node()) producer[node.output(0)] = &node;
  int convs = 0, quantize_nodes = 0;
  for (const onnx::NodeProto& node : g.node()) {
    SCOPED_TRACE(node.name());
    EXPECT_NE(node.op_type(), "Relu");
    EXPECT_NE(node.op_type(), "Clip");
    if (node.op_type() == "QuantizeLinear") {
      ++quantize_nodes;
      const onnx::TensorProto* scale = FindInitializer(g, node.input(1));
      ASSERT_NE(scale, nullptr);
      for (float s : FloatValues(*scale)) EXPECT_TRUE(std::isfinite(s) && s > 0) << s;
    }
    if (node.op_type() != "Conv" && node.op_type() != "Gemm") continue;
    ++convs;
    ASSERT_EQ(producer.count(node.input(0)), 1u);
    EXPECT_EQ(producer.at(node.input(0))->op_type(), "DequantizeLinear");
    const onnx::NodeProto* dq = producer.at(node.input(1));
    ASSERT_EQ(dq->op_type(), "DequantizeLinear");
    const onnx::TensorProto* weight = FindInitializer(g, dq->input(0));
    const onnx::TensorProto* scale = FindInitializer(g, dq->input(1));
    const onnx::TensorProto* zero = FindInitializer(g, dq->input(2));
    ASSERT_TRUE(weight != nullptr && scale != nullptr && zero != nullptr);
    EXPECT_EQ(weight->data_type(), onnx::TensorProto::INT8);
    EXPECT_EQ(zero->data_type(), onnx::TensorProto::INT8);
    ASSERT_EQ(scale->dims_size(), 1);
    EXPECT_EQ(scale->dims(0), weight->dims(0));
    EXPECT_EQ(zero->raw_data(), std::string(static_cast<size_t>(weight->dims(0)), '\0'));
    ASSERT_EQ(dq->attribute_size(), 1);
    EXPECT_EQ(dq->attribute(0).name(), "axis");
    EXPECT_EQ(dq->attribute(0).i(), 0);
  }
  // The stem; 7 blocks of expand, depthwise and project; the SE blocks of
  // stages 0 and 2, two convs each; the head conv and the classifier.
  EXPECT_EQ(convs, 1 + 7 * 3 + 4 * 2 + 2);
  EXPECT_GT(quantize_nodes, convs);
}

// The exported files run in a second implementation, node by node in
// LibTorch with QuantizeLinear and DequantizeLinear as the ONNX spec defines
// them, and give ONNX Runtime's logits: fp32 to float rounding, int8 up to a
// quantization step flipped at a rounding boundary.
TEST_F(NetworkExport, OnnxRuntimeRunsTheFilesAsTheOnnxSpecDefinesThem) {
  const ImageDataset train = Train(), test = Test();
  const ExportOptions o = Options("spec");
  ExportNetwork(o, &train, &test);
  const torch::Tensor x = ImagesFor(o.out_folder, test);
  for (const std::string file : {"model_fp32.onnx", "model_int8.onnx"}) {
    SCOPED_TRACE(file);
    const torch::Tensor ours = RunOnnxInLibTorch(ReadModel(o.out_folder + "/" + file), x);
    const torch::Tensor theirs = OnnxRuntimeLogits(o.out_folder + "/" + file, x);
    const double scale = ours.abs().max().item<double>();
    const double agreement = Top1Agreement(ours, theirs);
    if (file == "model_fp32.onnx") {
      EXPECT_LT((ours - theirs).abs().max().item<double>(), 1e-4 * std::max(1.0, scale));
      EXPECT_EQ(agreement, 1.0);
    } else {
      EXPECT_LT((ours - theirs).abs().mean().item<double>(), 0.005 * std::max(1.0, scale));
      EXPECT_GE(agreement, 0.99);
    }
  }
}

TEST_F(NetworkExport, RefusesAnotherNetworksWeightsAndAnExistingFolderLeavingNothing) {
  const ImageDataset train = Train(), test = Test();
  // metrics.json says another kernel for s0.b0: the weights are not its.
  const std::string other = *folder_ + "/other_weights";
  fs::create_directories(other);
  fs::copy_file(*folder_ + "/weights/weights.pt", other + "/weights.pt");
  nlohmann::json metrics = nlohmann::json::parse(ReadFile(*folder_ + "/weights/metrics.json"));
  metrics["arch"] = "r16-k57.573.35-e24.342.43-w24.32.64-s1.0.1-ah.r.h";
  WriteFileAtomically(other + "/metrics.json", metrics.dump());
  ExportOptions o = Options("refused");
  o.weights_folder = other;
  EXPECT_EQ(testing::ErrorOf([&] { ExportNetwork(o, &train, &test); }),
            other + "/weights.pt: these weights are not this network's:\n"
                    "  s0_b0.depthwise.weight: shape [16, 1, 3, 3], but the network needs [16, 1, 5, 5]");
  EXPECT_TRUE(Siblings(o.out_folder).empty());

  // A space or arch other than the weights'.
  o = Options("other_space");
  o.space = "fbnet";
  EXPECT_EQ(testing::ErrorOf([&] { ExportNetwork(o, &train, &test); }),
            *folder_ + "/weights: the weights are of a network of space 'mbv3_small_input', not 'fbnet'");
  o = Options("other_arch");
  o.arch = "r16-k77.573.35-e24.342.43-w24.32.64-s1.0.1-ah.r.h";
  EXPECT_EQ(testing::ErrorOf([&] { ExportNetwork(o, &train, &test); }),
            *folder_ + "/weights: the weights are of " + kArch + ", not of " + o.arch);
  EXPECT_TRUE(Siblings(*folder_ + "/other_space").empty());
  EXPECT_TRUE(Siblings(o.out_folder).empty());

  o = Options("exists");
  fs::create_directories(o.out_folder);
  EXPECT_EQ(testing::ErrorOf([&] { ExportNetwork(o, &train, &test); }),
            o.out_folder + " exists; export into a new folder");
  o = Options("none");
  o.weights_folder = *folder_ + "/missing";
  EXPECT_EQ(testing::ErrorOf([&] { ExportNetwork(o, &train, &test); }),
            *folder_ + "/missing: no finished training (weights.pt and metrics.json from `edgenas train`)");
}

// The fake-quantized LibTorch network QAT trains is the int8 model: built
// from an export's two files it predicts ONNX Runtime's int8 classes, for
// trained networks of two spaces (FBNet's has grouped 1x1 convs with channel
// shuffles, so Reshape and Transpose between quantized tensors); and
// untrained it writes back the very int8 file it was built from, so its
// scales and ranges round-trip exactly.
TEST_F(NetworkExport, FakeQuantizedNetworkIsTheInt8ModelInLibTorch) {
  const ImageDataset train = Train(), test = Test();
  const ExportOptions small_input = Options("twin_small_input");
  ExportNetwork(small_input, &train, &test);

  const SearchSpace fbnet = LoadSpace("fbnet_cifar100");
  Rng rng(3);
  ClassifierTrainingOptions training;
  training.schedule.epochs = 1;
  training.schedule.batch_size = 32;
  training.schedule.learning_rate = 0.05;
  training.schedule.validation_images = 64;
  training.out_folder = *folder_ + "/fbnet_weights";
  TrainClassifier(fbnet, fbnet.Sample(rng), train, test, training);
  ExportOptions fbnet_export = Options("twin_fbnet");
  fbnet_export.weights_folder = training.out_folder;
  ExportNetwork(fbnet_export, &train, &test);

  for (const std::string& folder : {small_input.out_folder, fbnet_export.out_folder}) {
    SCOPED_TRACE(folder);
    const std::string int8_path = folder + "/model_int8.onnx";
    FakeQuantizedNetwork twin(ReadModel(folder + "/model_fp32.onnx"), ReadModel(int8_path));
    twin->eval();
    const torch::Tensor x = ImagesFor(folder, test);
    torch::Tensor ours;
    {
      torch::NoGradGuard no_grad;
      ours = twin->forward(x);
    }
    const torch::Tensor theirs = OnnxRuntimeLogits(int8_path, x);
    EXPECT_GE(Top1Agreement(ours, theirs), 0.99);
    // Rounding flips at .5 boundaries compound over FBNet's 22 blocks: the
    // file run as the ONNX spec says (RunOnnxInLibTorch) is itself 1.3% of
    // the largest logit from ONNX Runtime on average.
    EXPECT_LT((ours - theirs).abs().mean().item<double>(), 0.02 * std::max(1.0, ours.abs().max().item<double>()));
    // Not a network that predicts one class whatever it sees.
    EXPECT_GT(std::get<0>(at::_unique(ours.argmax(1))).numel(), 1);
    EXPECT_EQ(twin->Int8Model().SerializeAsString(), ReadFile(int8_path));
  }
}

// QAT moves the activation scales and the weights, and what it learned is what
// the written int8 model computes in ONNX Runtime.
TEST_F(NetworkExport, QuantizationAwareTrainingExportsWhatItLearned) {
  const ImageDataset train = Train(), test = Test();
  const ExportOptions o = Options("qat_source");
  ExportNetwork(o, &train, &test);
  const onnx::ModelProto ptq = ReadModel(o.out_folder + "/model_int8.onnx");
  FakeQuantizedNetwork twin(ReadModel(o.out_folder + "/model_fp32.onnx"), ptq);
  const std::map<std::string, TensorRange> before = twin->Ranges();
  QatOptions qat;
  qat.epochs = 2;
  qat.batch_size = 32;
  const std::vector<QatEpoch> epochs = TrainQuantizationAware(twin, train, ContractOf(o.out_folder), qat);
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_TRUE(std::isfinite(epochs[1].mean_loss));
  int moved = 0;
  for (const auto& [tensor, range] : twin->Ranges()) moved += range.max != before.at(tensor).max;
  EXPECT_GT(moved, 0);

  const std::string qat_path = *folder_ + "/qat_int8.onnx";
  const onnx::ModelProto learned = twin->Int8Model();
  WriteOnnxModel(learned, qat_path);
  EXPECT_NE(learned.SerializeAsString(), ptq.SerializeAsString());
  const torch::Tensor x = ImagesFor(o.out_folder, test);
  torch::Tensor ours;
  {
    torch::NoGradGuard no_grad;
    ours = twin->forward(x);
  }
  EXPECT_GE(Top1Agreement(ours, OnnxRuntimeLogits(qat_path, x)), 0.99);
}

// --qat in the export pipeline: the int8 model is the fine-tuned one, the
// report scores the calibrated one beside it, and no scratch file is left.
TEST_F(NetworkExport, ExportWithQatReportsBothInt8Models) {
  const ImageDataset train = Train(), test = Test();
  ExportOptions o = Options("qat");
  o.qat_epochs = 1;
  o.qat_threads = 1;
  const ExportReport r = ExportNetwork(o, &train, &test);
  EXPECT_EQ(r.qat_epochs, 1);
  EXPECT_GT(r.ptq_int8_test_top1, 50.0);
  EXPECT_GT(r.int8.test_top1, 50.0);
  EXPECT_FALSE(PathExists(o.out_folder + "/model_int8_ptq.onnx"));
  const nlohmann::json report = nlohmann::json::parse(ReadFile(o.out_folder + "/report.json"));
  EXPECT_EQ(report["quantization"]["qat_epochs"], 1);
  EXPECT_DOUBLE_EQ(report["quantization"]["ptq_int8_test_top1"].get<double>(), r.ptq_int8_test_top1);
  EXPECT_NE(ReadFile(o.out_folder + "/report.md").find("1 epoch(s) of quantization-aware training"),
            std::string::npos);

  ExportOptions untrained = Options("qat_untrained");
  untrained.untrained = true;
  untrained.qat_epochs = 1;
  EXPECT_EQ(testing::ErrorOf([&] { ExportNetwork(untrained, nullptr, nullptr); }),
            "quantization-aware training needs a trained network and its images, not --weights none");
}

// `edgenas export results/<job>`: the chosen network of a finished search,
// trained and exported as the recipe's export: section says, with the
// search's predictions in the report; a second run keeps what the first made.
TEST_F(NetworkExport, AFinishedSearchsWinnerIsTrainedAndExportedAsItsRecipeSays) {
  const std::string root = *folder_ + "/job_export";
  const std::string job = root + "/results/j";
  fs::create_directories(job);
  WriteFileAtomically(root + "/r.yaml",
                      "job: j\nspace: mbv3_small_input\nsearch:\n  algorithm: random\n  evaluations: 10\n"
                      "objectives:\n  minimize: [macs]\nexport:\n  dataset: fashion_mnist\n  epochs: 1\n"
                      "  quantization: int8_ptq\n");
  const nlohmann::json summary = {
      {"recipe", root + "/r.yaml"},
      {"space", "mbv3_small_input"},
      {"best", {{"arch", kArch}, {"metrics", {{"accuracy", {{"value", 91.5}, {"unit", "%"}}}}}}}};
  WriteFileAtomically(job + "/summary.json", summary.dump());
  // Training carves 5,000 validation images: 5,200 leave 200 to train on.
  testing::WriteIdxFolder(Bars(5200, 5), Test(), root + "/idx");
  const std::string command = std::string(EDGENAS_BINARY) + " export " + job + " --data " + root +
                              "/idx --format idx --classes 2 --timing-runs 5 2>/dev/null >" + root + "/stdout";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_TRUE(PathExists(job + "/train/metrics.json"));
  const nlohmann::json report = nlohmann::json::parse(ReadFile(job + "/export/report.json"));
  EXPECT_EQ(report["arch"], kArch);
  EXPECT_EQ(report["predicted"]["accuracy"]["value"], 91.5);
  EXPECT_FALSE(report["onnxruntime_int8"].is_null());
  EXPECT_EQ(report["quantization"]["qat_epochs"], 0);
  // Accuracy against the validation top-1 of training, the split predictors learn.
  const nlohmann::json metrics = nlohmann::json::parse(ReadFile(job + "/train/metrics.json"));
  const double validation = metrics["validation_top1"].get<double>();
  EXPECT_EQ(report["libtorch_fp32"]["validation_top1"].get<double>(), validation);
  EXPECT_EQ(report["predicted"]["accuracy"]["measured"].get<double>(), validation);
  EXPECT_NE(ReadFile(root + "/stdout").find(fmt::format("| accuracy | 91.5 % | {:.4g} % | {:+.2f} points |", validation,
                                                        91.5 - validation)),
            std::string::npos)
      << ReadFile(root + "/stdout");

  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_NE(ReadFile(root + "/stdout").find(job + "/export holds this job's export already"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(ReadFile(job + "/export/report.json")), report);
}

// `edgenas run RECIPE`: the search, then the export section, in one command,
// ending with the job's table and report.html, which headless Chromium
// renders and tests/report/check_report_page.js checks against the files. A
// second run keeps every finished stage. A recipe without an export section
// is refused.
TEST_F(NetworkExport, RunDoesTheWholeJobAndARerunKeepsWhatItFinished) {
  const std::string root = *folder_ + "/run";
  fs::create_directories(root);
  WriteFileAtomically(root + "/r.yaml",
                      "job: j\nspace: mbv3_small_input\nsearch:\n  algorithm: nsga2\n  population_size: 16\n"
                      "  generations: 3\nobjectives:\n  minimize: [latency_int8@host_cpu_ort, params]\n"
                      "constraints:\n  latency_int8@host_cpu_ort: {max: 0.09}\nexport:\n  dataset: fashion_mnist\n"
                      "  epochs: 1\n  quantization: int8_ptq\n  teacher: " +
                          std::string(kArch) + "\n");
  testing::WriteIdxFolder(Bars(5200, 5), Test(), root + "/idx");
  const std::string job = root + "/results/j";
  const std::string command = std::string(EDGENAS_BINARY) + " run " + root + "/r.yaml -o " + job + " --data " + root +
                              "/idx --format idx --classes 2 2>" + root + "/stderr >" + root + "/stdout";
  ASSERT_EQ(std::system(command.c_str()), 0) << ReadFile(root + "/stderr");
  const nlohmann::json summary = nlohmann::json::parse(ReadFile(job + "/summary.json"));
  const nlohmann::json report = nlohmann::json::parse(ReadFile(job + "/export/report.json"));
  EXPECT_EQ(report["arch"], summary["best"]["arch"]);  // the search's winner is what was exported
  EXPECT_TRUE(PathExists(job + "/train/metrics.json"));
  const std::string stdout_text = ReadFile(root + "/stdout");
  EXPECT_NE(stdout_text.find("job j in "), std::string::npos);
  // The closing table: the int8 latency predicted beside the measured one.
  const nlohmann::json& int8 = report["predicted"]["latency_int8@host_cpu_ort"];
  const double predicted = int8["value"].get<double>(), measured = int8["measured"].get<double>();
  EXPECT_NE(stdout_text.find(fmt::format("| {:+.1f}% |", 100 * (predicted - measured) / measured)), std::string::npos)
      << stdout_text;
  EXPECT_NE(stdout_text.find(job + "/export/model_int8.onnx"), std::string::npos);
  // The teacher trained first, then the winner distilled from it.
  const nlohmann::json teacher = nlohmann::json::parse(ReadFile(job + "/teacher/metrics.json"));
  EXPECT_EQ(teacher["arch"], kArch);
  EXPECT_TRUE(teacher["teacher"].is_null());
  EXPECT_EQ(nlohmann::json::parse(ReadFile(job + "/train/metrics.json"))["teacher"]["folder"], job + "/teacher");
  // Four stages timed, each new.
  const nlohmann::json run = nlohmann::json::parse(ReadFile(job + "/run.json"));
  ASSERT_EQ(run["stages"].size(), 4u);
  EXPECT_EQ(run["stages"][1]["stage"], "teacher training");
  for (const nlohmann::json& stage : run["stages"]) EXPECT_FALSE(stage["kept"].get<bool>()) << stage;
  const std::string page_check = "node " EDGENAS_SOURCE_ROOT "/tests/report/check_report_page.js " + job + " >" + root +
                                 "/page 2>&1";
  EXPECT_EQ(std::system(page_check.c_str()), 0) << ReadFile(root + "/page");

  ASSERT_EQ(std::system(command.c_str()), 0) << ReadFile(root + "/stderr");
  EXPECT_NE(ReadFile(root + "/stderr").find("the search finished before; kept"), std::string::npos);
  EXPECT_NE(ReadFile(root + "/stdout").find(job + "/export holds this job's export already"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(ReadFile(job + "/summary.json")), summary);
  // Kept stages keep the times the first run measured.
  const nlohmann::json again = nlohmann::json::parse(ReadFile(job + "/run.json"));
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_TRUE(again["stages"][k]["kept"].get<bool>()) << k;
    EXPECT_EQ(again["stages"][k]["seconds"], run["stages"][k]["seconds"]) << k;
  }

  WriteFileAtomically(root + "/no_export.yaml",
                      "job: k\nspace: mbv3_small_input\nsearch:\n  algorithm: random\n  evaluations: 10\n"
                      "objectives:\n  minimize: [macs]\n");
  const std::string refused = std::string(EDGENAS_BINARY) + " run " + root + "/no_export.yaml -o " + root +
                              "/results/k 2>" + root + "/stderr >/dev/null";
  EXPECT_EQ(WEXITSTATUS(std::system(refused.c_str())), 2);
  EXPECT_NE(ReadFile(root + "/stderr").find("`edgenas run` needs an export: section"), std::string::npos);
  EXPECT_FALSE(PathExists(root + "/results/k"));
}

// --weights none: an ImageNet-size network nobody trained here, exported so
// that it can be timed on a device; labelled untrained, with no accuracy.
TEST_F(NetworkExport, UntrainedNetworkExportsForTimingLabelledAsSuch) {
  const ExportOptions o = UntrainedOptions("untrained", "proxylessnas_mobile", "012500452633021036662", 2);
  const ExportReport r = ExportNetwork(o, nullptr, nullptr);
  EXPECT_FALSE(r.trained);
  EXPECT_GT(r.int8.latency_ms, 0.0);
  // Large networks meet the size aim: int8 under 30% of fp32.
  EXPECT_LT(static_cast<double>(r.int8.file_bytes), 0.3 * static_cast<double>(r.fp32.file_bytes));
  for (const char* file : {"model_fp32.onnx", "model_int8.onnx"}) {
    onnx::ModelProto model;
    ASSERT_TRUE(model.ParseFromString(ReadFile(o.out_folder + "/" + file)));
    std::map<std::string, std::string> meta = ModelMetadata(model);
    EXPECT_EQ(meta["weights"], "untrained: a fresh initialisation, for timing only") << file;
    EXPECT_EQ(meta["class_names"].substr(0, 9), "[\"0\",\"1\",") << file;
  }
  const nlohmann::json report = nlohmann::json::parse(ReadFile(o.out_folder + "/report.json"));
  EXPECT_TRUE(report["onnxruntime_int8"]["test_top1"].is_null());
  EXPECT_NE(ReadFile(o.out_folder + "/report.md").find("No accuracy was measured."), std::string::npos);
}

// With a device profile measured in ONNX Runtime, its reference network is
// timed beside the models and their latencies are given at the profile's
// speed, beside the search's predictions.
TEST_F(NetworkExport, LatenciesAtTheProfilesSpeedStandBesideThePredictions) {
  ExportOptions o =
      UntrainedOptions("speed_reference", "mbv3_small_input", "r20-k3.57.7-e2.31.4-w16.24.48-s0.1.0-ar.h.r", 3);
  o.predicted = {{"macs", 123456, "MACs"}, {"latency@host_cpu_ort", 0.05, "ms"}, {"latency_int8@host_cpu_ort", 0.06, "ms"}};
  o.speed_reference = WriteSpeedReference(ProfileFolder("host_cpu_ort"), "host_cpu_ort", *folder_ + "/reference.onnx");
  ASSERT_TRUE(o.speed_reference.has_value());  // the shipped profile has one
  EXPECT_GT(o.speed_reference->profile_ms, 0);
  const ExportReport r = ExportNetwork(o, nullptr, nullptr);
  ASSERT_GT(r.fp32.reference_ms, 0);
  ASSERT_GT(r.int8.reference_ms, 0);
  const double profile_ms = o.speed_reference->profile_ms;
  EXPECT_NEAR(r.fp32.latency_at_profile_speed_ms, r.fp32.latency_ms * profile_ms / r.fp32.reference_ms, 1e-12);
  EXPECT_NEAR(r.int8.latency_at_profile_speed_ms, r.int8.latency_ms * profile_ms / r.int8.reference_ms, 1e-12);
  const nlohmann::json report = nlohmann::json::parse(ReadFile(o.out_folder + "/report.json"));
  EXPECT_DOUBLE_EQ(report["predicted"]["latency_int8@host_cpu_ort"]["measured"].get<double>(),
                   r.int8.latency_at_profile_speed_ms);
  EXPECT_DOUBLE_EQ(report["predicted"]["latency@host_cpu_ort"]["measured"].get<double>(),
                   r.fp32.latency_at_profile_speed_ms);
  EXPECT_FALSE(report["predicted"]["macs"].contains("measured"));
  const std::string md = ReadFile(o.out_folder + "/report.md");
  EXPECT_NE(md.find(fmt::format("| latency_int8@host_cpu_ort | 0.06 ms | {:.4g} ms | {:+.1f}% |",
                                r.int8.latency_at_profile_speed_ms,
                                100 * (0.06 - r.int8.latency_at_profile_speed_ms) / r.int8.latency_at_profile_speed_ms)),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("at the speed hw_profiles/host_cpu_ort was measured at"), std::string::npos);
  // A profile without a reference network (LibTorch's) gives none.
  EXPECT_FALSE(WriteSpeedReference(ProfileFolder("host_cpu_example"), "host_cpu_example", *folder_ + "/none.onnx"));
}

}  // namespace
}  // namespace edgenas
