#include "space/space_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_reader.h"

namespace edgenas {

namespace {

const std::vector<std::string> kLayerKeys = {"op", "out", "kernel", "stride", "groups", "expand", "expand_conv",
                                             "se", "act", "bn", "bias", "when_reshaping"};

Activation ReadActivation(const YamlNode& node) {
  Activation activation = Activation::kNone;
  StringToActivation(node.AsChoice({"none", "relu", "relu6", "hswish"}), &activation);
  return activation;
}

// A layer of the stem or head (`fixed`), or a named operator of a stage.
LayerTemplate ReadLayerTemplate(const YamlNode& node, bool fixed) {
  node.CheckKeys(kLayerKeys);
  LayerTemplate t;
  const std::string op = node.Get("op").AsChoice(fixed ? std::vector<std::string>{"conv", "mbconv", "avgpool", "linear"}
                                                       : std::vector<std::string>{"mbconv", "skip"});
  // A space file calls the identity operator `skip`.
  StringToLayerOp(op == "skip" ? LayerOpToString(LayerOp::kIdentity) : op, &t.op);
  const bool has_out = t.op == LayerOp::kConv || t.op == LayerOp::kMBConv || t.op == LayerOp::kLinear;
  if (fixed && has_out) t.out_channels = static_cast<int>(node.Get("out").AsInt(1, 1 << 20));
  if (!fixed && node.Has("out")) node.Get("out").Fail("an operator takes its stage's width; remove 'out'");
  t.kernel = static_cast<int>(node.IntOr("kernel", 1, 1, 15));
  if (t.op == LayerOp::kMBConv && !node.Has("kernel")) node.Fail("an mbconv layer needs 'kernel'");
  if (fixed) {
    t.stride = static_cast<int>(node.IntOr("stride", 1, 1, 4));
  } else if (node.Has("stride")) {
    node.Get("stride").Fail("an operator takes its stage's stride; remove 'stride'");
  }
  t.groups = static_cast<int>(node.IntOr("groups", 1, 1, 1024));
  t.expand_ratio = node.DoubleOr("expand", 1.0, 1.0, 64.0);
  if (const auto expand_conv = node.Find("expand_conv")) {
    t.always_expand_conv = expand_conv->AsChoice({"auto", "always"}) == "always";
  }
  if (const auto se = node.Find("se")) t.se = se->AsBool();
  if (const auto act = node.Find("act")) t.activation = ReadActivation(*act);
  t.batch_norm = node.BoolOr("bn", true);
  t.bias = node.BoolOr("bias", false);
  if (const auto reshaping = node.Find("when_reshaping")) {
    if (t.op != LayerOp::kIdentity) reshaping->Fail("'when_reshaping' applies to skip operators only");
    t.skip_allowed_when_reshaping = reshaping->AsChoice({"conv1x1", "forbid"}) == "conv1x1";
  }
  return t;
}

std::vector<int> ReadIntChoices(const YamlNode& node, long long min, long long max) {
  std::vector<int> values;
  if (node.IsScalar()) {
    values.push_back(static_cast<int>(node.AsInt(min, max)));
  } else {
    for (const YamlNode& item : node.Items()) values.push_back(static_cast<int>(item.AsInt(min, max)));
  }
  if (values.empty()) node.Fail(fmt::format("'{}' needs at least one value", node.key()));
  return values;
}

std::vector<int> ReadResolutions(const YamlNode& node) {
  if (!node.IsMap()) return ReadIntChoices(node, 8, 4096);
  node.CheckKeys({"from", "to", "step"});
  const int from = static_cast<int>(node.Get("from").AsInt(8, 4096));
  const int to = static_cast<int>(node.Get("to").AsInt(from, 4096));
  const int step = static_cast<int>(node.Get("step").AsInt(1, 4096));
  std::vector<int> values;
  for (int r = from; r <= to; r += step) values.push_back(r);
  return values;
}

StageSpec ReadStage(const YamlNode& node, const std::vector<LayerTemplate>& operators) {
  node.CheckKeys({"out", "stride", "depth", "kernel", "expand", "ops", "act", "se"});
  StageSpec stage;
  stage.widths = ReadIntChoices(node.Get("out"), 1, 1 << 20);
  if (!std::is_sorted(stage.widths.begin(), stage.widths.end())) node.Get("out").Fail("width choices must be ascending");
  stage.stride = static_cast<int>(node.IntOr("stride", 1, 1, 4));
  stage.depths = ReadIntChoices(node.Get("depth"), 1, 64);
  if (!std::is_sorted(stage.depths.begin(), stage.depths.end())) node.Get("depth").Fail("depth choices must be ascending");
  // `act` and `se` are one value, or a list of choices (kernel/expand stages).
  if (const auto act = node.Find("act")) {
    stage.activations.clear();
    for (const YamlNode& item : act->IsScalar() ? std::vector<YamlNode>{*act} : act->Items()) {
      stage.activations.push_back(ReadActivation(item));
    }
  }
  if (const auto se = node.Find("se")) {
    stage.se.clear();
    for (const YamlNode& item : se->IsScalar() ? std::vector<YamlNode>{*se} : se->Items()) stage.se.push_back(item.AsBool());
  }
  const bool choices = stage.widths.size() > 1 || stage.activations.size() > 1 || stage.se.size() > 1;
  if (node.Has("ops") && choices) node.Fail("a stage with 'ops' has one width, activation and SE setting");
  if (const auto ops = node.Find("ops")) {
    if (node.Has("kernel") || node.Has("expand")) node.Fail("a stage has either 'ops' or 'kernel' and 'expand', not both");
    for (const YamlNode& item : ops->Items()) {
      const std::string name = item.AsString();
      const auto found = std::find_if(operators.begin(), operators.end(),
                                      [&](const LayerTemplate& t) { return t.name == name; });
      if (found == operators.end()) {
        std::vector<std::string> names;
        for (const LayerTemplate& t : operators) names.push_back(t.name);
        item.Fail(fmt::format("unknown operator '{}' (the space's 'operators' are: {})", name, JoinStrings(names)));
      }
      stage.operators.push_back(static_cast<int>(found - operators.begin()));
    }
    return stage;
  }
  stage.kernels = ReadIntChoices(node.Get("kernel"), 1, 15);
  for (const YamlNode& item : node.Get("expand").IsScalar() ? std::vector<YamlNode>{node.Get("expand")}
                                                             : node.Get("expand").Items()) {
    stage.expand_ratios.push_back(item.AsDouble(1.0, 64.0));
  }
  return stage;
}

}  // namespace

SearchSpace LoadSpaceFile(const std::string& path) {
  const YamlNode root = YamlNode::LoadFile(path);
  root.CheckKeys({"name", "description", "source", "input", "channel_divisor", "se_reduction", "stem", "operators",
                  "stages", "head"});
  SpaceSpec spec;
  spec.name = root.Get("name").AsString();
  spec.description = root.StringOr("description", "");
  spec.source = root.StringOr("source", "");
  const YamlNode input = root.Get("input");
  input.CheckKeys({"channels", "resolution"});
  spec.input_channels = static_cast<int>(input.IntOr("channels", 3, 1, 64));
  spec.resolutions = ReadResolutions(input.Get("resolution"));
  spec.channel_divisor = static_cast<int>(root.IntOr("channel_divisor", 1, 1, 64));
  spec.se_reduction = static_cast<int>(root.IntOr("se_reduction", 4, 1, 64));
  if (const auto operators = root.Find("operators")) {
    for (const auto& [key, value] : operators->Entries()) {
      LayerTemplate t = ReadLayerTemplate(value, /*fixed=*/false);
      t.name = key.AsString();
      spec.operators.push_back(std::move(t));
    }
  }
  for (const YamlNode& item : root.Get("stem").Items()) spec.stem.push_back(ReadLayerTemplate(item, /*fixed=*/true));
  for (const YamlNode& item : root.Get("stages").Items()) spec.stages.push_back(ReadStage(item, spec.operators));
  for (const YamlNode& item : root.Get("head").Items()) spec.head.push_back(ReadLayerTemplate(item, /*fixed=*/true));
  try {
    return SearchSpace(std::move(spec));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

std::vector<std::string> BuiltinSpaceNames() {
  std::vector<std::string> names;
  const std::filesystem::path folder = std::filesystem::path(DataRoot()) / "space" / "spaces";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string BuiltinSpacePath(const std::string& name) {
  const std::filesystem::path path = std::filesystem::path(DataRoot()) / "space" / "spaces" / (name + ".yaml");
  return PathExists(path) ? path.string() : "";
}

std::string SpaceFile(const std::string& name_or_path) {
  if (LooksLikePath(name_or_path)) return name_or_path;
  const std::string path = BuiltinSpacePath(name_or_path);
  if (path.empty()) {
    const std::vector<std::string> names = BuiltinSpaceNames();
    const std::string suggestion = ClosestMatch(name_or_path, names);
    EDGENAS_THROW_FMT("unknown space '{}'{}; built-in spaces: {} (or give the path of a space file)", name_or_path,
                      suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion), JoinStrings(names));
  }
  return path;
}

SearchSpace LoadSpace(const std::string& name_or_path) { return LoadSpaceFile(SpaceFile(name_or_path)); }

}  // namespace edgenas
