#include "accuracy/predictor_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_reader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

constexpr const char* kInfoFile = "predictor.yaml";

std::string BuiltinFolder() { return (fs::path(DataRoot()) / "predictors" / "trained").string(); }

template <typename T>
std::vector<T> ReadList(const YamlNode& node, T (*read)(const YamlNode&)) {
  std::vector<T> values;
  for (const YamlNode& item : node.Items()) values.push_back(read(item));
  return values;
}

}  // namespace

void WritePredictorInfo(const std::string& folder, const PredictorInfo& info) {
  YAML::Emitter out;
  out.SetDoublePrecision(17);  // round-trips every double exactly
  out << YAML::BeginMap;
  out << YAML::Key << "space" << YAML::Value << info.space;
  out << YAML::Key << "encoding" << YAML::Value << FeatureEncodingToString(info.encoding);
  out << YAML::Key << "features" << YAML::Value << info.features;
  out << YAML::Key << "accuracy_offset" << YAML::Value << info.accuracy_offset;
  out << YAML::Key << "accuracy_scale" << YAML::Value << info.accuracy_scale;
  out << YAML::Key << "members" << YAML::Value << YAML::Flow << info.members;
  if (!info.source.empty()) out << YAML::Key << "source" << YAML::Value << info.source;
  if (info.training) {
    const TrainingRecord& t = *info.training;
    out << YAML::Key << "training" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "data" << YAML::Value << t.data;
    out << YAML::Key << "data_fingerprint" << YAML::Value << t.data_fingerprint;
    out << YAML::Key << "networks" << YAML::Value << t.networks;
    out << YAML::Key << "validation_networks" << YAML::Value << t.validation_networks;
    out << YAML::Key << "seed" << YAML::Value << t.seed;
    out << YAML::Key << "epochs" << YAML::Value << YAML::Flow << t.epochs;
    out << YAML::Key << "validation_rmse" << YAML::Value << YAML::Flow << t.validation_rmse;
    out << YAML::EndMap;
  }
  if (info.ridge_baseline) {
    const RidgeModel& r = *info.ridge_baseline;
    out << YAML::Key << "ridge_baseline" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "lambda" << YAML::Value << r.lambda;
    out << YAML::Key << "intercept" << YAML::Value << r.intercept;
    out << YAML::Key << "coefficients" << YAML::Value << YAML::Flow << r.coefficients;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  WriteFileAtomically((fs::path(folder) / kInfoFile).string(),
                      "# edgenas accuracy predictor (docs/predictors.md)\n" + std::string(out.c_str()) + "\n");
}

PredictorInfo ReadPredictorInfo(const std::string& folder) {
  const YamlNode root = YamlNode::LoadFile((fs::path(folder) / kInfoFile).string());
  root.CheckKeys({"space", "encoding", "features", "accuracy_offset", "accuracy_scale", "members", "source",
                  "training", "ridge_baseline"});
  PredictorInfo info;
  info.space = root.Get("space").AsString();
  StringToFeatureEncoding(root.Get("encoding").AsChoice({"one_hot", "ofa_mbv3"}), &info.encoding);
  info.features = static_cast<int>(root.Get("features").AsInt(1, 1 << 20));
  info.accuracy_offset = root.Get("accuracy_offset").AsDouble(-1e9, 1e9);
  info.accuracy_scale = root.Get("accuracy_scale").AsDouble(-1e9, 1e9);
  info.members = ReadList<std::string>(root.Get("members"), [](const YamlNode& n) { return n.AsString(); });
  EDGENAS_THROW_IF_NOT_FMT(!info.members.empty(), "{}:{}: 'members' lists no weight files", root.file(),
                           root.Get("members").line());
  info.source = root.StringOr("source", "");
  if (const auto training = root.Find("training")) {
    training->CheckKeys({"data", "data_fingerprint", "networks", "validation_networks", "seed", "epochs",
                         "validation_rmse"});
    TrainingRecord t;
    t.data = training->Get("data").AsString();
    t.data_fingerprint = training->Get("data_fingerprint").AsString();
    t.networks = static_cast<int>(training->Get("networks").AsInt(0, 1 << 30));
    t.validation_networks = static_cast<int>(training->Get("validation_networks").AsInt(0, 1 << 30));
    t.seed = static_cast<uint64_t>(training->Get("seed").AsInt(0, INT64_MAX));
    t.epochs = ReadList<int>(training->Get("epochs"), [](const YamlNode& n) { return int(n.AsInt(0, 1 << 30)); });
    t.validation_rmse =
        ReadList<double>(training->Get("validation_rmse"), [](const YamlNode& n) { return n.AsDouble(0, 1e9); });
    info.training = t;
  }
  if (const auto ridge = root.Find("ridge_baseline")) {
    ridge->CheckKeys({"lambda", "intercept", "coefficients"});
    RidgeModel r;
    r.lambda = ridge->Get("lambda").AsDouble(0, 1e30);
    r.intercept = ridge->Get("intercept").AsDouble(-1e30, 1e30);
    r.coefficients =
        ReadList<double>(ridge->Get("coefficients"), [](const YamlNode& n) { return n.AsDouble(-1e30, 1e30); });
    EDGENAS_THROW_IF_NOT_FMT(static_cast<int>(r.coefficients.size()) == info.features,
                             "{}:{}: ridge_baseline has {} coefficients for {} features", root.file(),
                             ridge->Get("coefficients").line(), r.coefficients.size(), info.features);
    info.ridge_baseline = r;
  }
  return info;
}

std::string ResolvePredictorFolder(const std::string& name_or_folder) {
  if (PathExists(fs::path(name_or_folder) / kInfoFile)) return name_or_folder;
  EDGENAS_THROW_IF_NOT_FMT(name_or_folder.find('/') == std::string::npos, "predictor folder '{}' has no {}",
                           name_or_folder, kInfoFile);
  const std::string folder = (fs::path(BuiltinFolder()) / name_or_folder).string();
  if (!PathExists(fs::path(folder) / kInfoFile)) {
    const std::vector<std::string> names = BuiltinPredictorNames();
    const std::string suggestion = ClosestMatch(name_or_folder, names);
    EDGENAS_THROW_FMT("unknown predictor '{}'{}: not a folder with {} nor a shipped predictor (shipped: {})",
                      name_or_folder, suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                      kInfoFile, JoinStrings(names));
  }
  return folder;
}

std::vector<std::string> BuiltinPredictorNames() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(BuiltinFolder(), error)) {
    if (PathExists(entry.path() / kInfoFile)) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

LoadedPredictor LoadPredictor(const std::string& name_or_folder, const SearchSpace& space) {
  LoadedPredictor loaded;
  loaded.folder = ResolvePredictorFolder(name_or_folder);
  loaded.info = ReadPredictorInfo(loaded.folder);
  const PredictorInfo& info = loaded.info;
  EDGENAS_THROW_IF_NOT_FMT(info.space == space.name(), "predictor '{}' was trained for space '{}', not '{}'",
                           name_or_folder, info.space, space.name());
  std::vector<Mlp> members;
  for (const std::string& file : info.members) {
    const std::string path = (fs::path(loaded.folder) / file).string();
    members.push_back(Mlp::FromStateDict(ReadTorchStateDict(path), path));
  }
  loaded.predictor = std::make_unique<AccuracyPredictor>(space, info.encoding, std::move(members),
                                                         info.accuracy_offset, info.accuracy_scale);
  EDGENAS_THROW_IF_NOT_FMT(loaded.predictor->encoder().num_features() == info.features,
                           "predictor '{}' says {} features; space '{}' with encoding {} has {}", name_or_folder,
                           info.features, space.name(), FeatureEncodingToString(info.encoding),
                           loaded.predictor->encoder().num_features());
  return loaded;
}

}  // namespace edgenas
