// `edgenas predictor ...`: the commands that use trained accuracy predictors.
// Training (`predictor train`, `predictor study`) needs LibTorch and runs in
// edgenas-torch (torch_main.cc).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "accuracy/accuracy_dataset.h"
#include "accuracy/predictor_evaluation.h"
#include "accuracy/predictor_file.h"
#include "accuracy/torch_state_dict.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

struct PredictorOptions {
  std::string predictor;
  std::string space;  // empty: the space the predictor names
  std::vector<std::string> archs;
  std::string data;
  std::string svg;
};

SearchSpace SpaceOf(const std::string& predictor, const std::string& space_override) {
  if (!space_override.empty()) return LoadSpace(space_override);
  return LoadSpace(ReadPredictorInfo(ResolvePredictorFolder(predictor)).space);
}

void ListPredictors() {
  for (const std::string& name : BuiltinPredictorNames()) {
    const PredictorInfo info = ReadPredictorInfo(ResolvePredictorFolder(name));
    std::string trained = "imported";
    if (info.training) trained = fmt::format("trained on {} networks", info.training->networks);
    fmt::print("{:<24} space {:<20} {} member(s), {}\n", name, info.space, info.members.size(), trained);
  }
}

void Predict(const PredictorOptions& o) {
  const SearchSpace space = SpaceOf(o.predictor, o.space);
  const LoadedPredictor loaded = LoadPredictor(o.predictor, space);
  std::vector<Genome> genomes;
  for (const std::string& arch : o.archs) genomes.push_back(space.Parse(arch));
  const std::vector<AccuracyPrediction> predictions = loaded.predictor->Predict(genomes);
  for (size_t i = 0; i < genomes.size(); ++i) {
    std::string line = fmt::format("{}  {:.4f}%", space.ToString(genomes[i]), predictions[i].mean);
    if (loaded.predictor->num_members() > 1) line += fmt::format("  ± {:.4f}", predictions[i].spread);
    std::cout << line << "\n";
  }
}

void Evaluate(const PredictorOptions& o) {
  const SearchSpace space = SpaceOf(o.predictor, o.space);
  const LoadedPredictor loaded = LoadPredictor(o.predictor, space);
  const AccuracyDataset data = LoadAccuracyDataset(o.data, space);
  const PredictorInfo& info = loaded.info;
  if (info.training && info.training->data_fingerprint == data.fingerprint) {
    std::cerr << fmt::format("warning: {} is the predictor's own training data; use held-out networks to test it\n",
                             o.data);
  }
  const PredictorEvaluation evaluation =
      EvaluatePredictor(*loaded.predictor, info.ridge_baseline ? &*info.ridge_baseline : nullptr, data);
  std::cout << fmt::format("predictor {} on {}\n", o.predictor, o.data) << FormatEvaluation(evaluation);
  if (!o.svg.empty()) {
    WriteFileAtomically(o.svg, EvaluationSvg(evaluation, fmt::format("{} on {}", fs::path(loaded.folder).filename().string(),
                                                                      fs::path(o.data).filename().string())));
    std::cout << "scatter plot: " << o.svg << "\n";
  }
}

struct ImportOptions {
  std::string weights;
  std::string space;
  std::string out;
  std::string encoding;
  std::string source;
  double accuracy_offset = 0;
  double accuracy_scale = 100;
  bool replace = false;
};

// A bare PyTorch state_dict (such as Once-for-All's published predictor) ->
// a predictor folder: the weights, byte for byte, and predictor.yaml.
void Import(const ImportOptions& o) {
  const SearchSpace space = LoadSpace(o.space);
  PredictorInfo info;
  info.space = space.name();
  info.encoding = FeatureEncoder::DefaultFor(space);
  if (!o.encoding.empty()) StringToFeatureEncoding(o.encoding, &info.encoding);  // CLI11 checked the name
  info.features = FeatureEncoder(space, info.encoding).num_features();
  info.accuracy_offset = o.accuracy_offset;
  info.accuracy_scale = o.accuracy_scale;
  info.members = {"mlp_0.pt"};
  info.source = o.source;
  // Check before writing anything: the weights must read and fit the features.
  const Mlp mlp = Mlp::FromStateDict(ReadTorchStateDict(o.weights), o.weights);
  AccuracyPredictor(space, info.encoding, {mlp}, info.accuracy_offset, info.accuracy_scale);
  EDGENAS_THROW_IF_NOT_FMT(o.replace || !PathExists(fs::path(o.out) / "predictor.yaml"),
                           "{} already holds a predictor (pass --replace to overwrite it)", o.out);
  WriteFileAtomically((fs::path(o.out) / "mlp_0.pt").string(), ReadFile(o.weights));
  WritePredictorInfo(o.out, info);
  fmt::print("{}: space {}, encoding {}, {} features, hidden layers {}\n", o.out, info.space,
             FeatureEncodingToString(info.encoding), info.features, fmt::join(mlp.hidden_sizes(), "x"));
}

}  // namespace

void AddPredictorCommands(CLI::App& app) {
  CLI::App* predictor = app.add_subcommand("predictor", "Accuracy predictors: train, evaluate, predict, import");
  predictor->require_subcommand(1);

  predictor->add_subcommand("list", "List the shipped predictors (predictors/trained)")->callback(ListPredictors);

  auto o = std::make_shared<PredictorOptions>();
  const std::string predictor_help = "Shipped predictor name (see `predictor list`) or predictor folder";
  CLI::App* predict = predictor->add_subcommand("predict", "Predict the accuracy (%) of architectures");
  predict->add_option("predictor", o->predictor, predictor_help)->required();
  predict->add_option("arch", o->archs, "Arch strings of the predictor's space")->required();
  predict->add_option("--space,-s", o->space, "Space name or file (default: the one the predictor names)");
  predict->callback([o] { Predict(*o); });

  CLI::App* eval = predictor->add_subcommand(
      "eval", "Compare predictions with measured accuracies: RMSE, Kendall tau, Spearman rho, top-k precision");
  eval->add_option("predictor", o->predictor, predictor_help)->required();
  eval->add_option("--data", o->data, "CSV with columns arch,accuracy (percent)")->required();
  eval->add_option("--svg", o->svg, "Also write the predicted-vs-measured scatter plot here");
  eval->add_option("--space,-s", o->space, "Space name or file (default: the one the predictor names)");
  eval->callback([o] { Evaluate(*o); });

  auto import = std::make_shared<ImportOptions>();
  CLI::App* imp = predictor->add_subcommand(
      "import", "Make a predictor folder from a PyTorch state_dict of an MLP (nn.Sequential of Linear and ReLU)");
  imp->add_option("weights", import->weights, "The .pt file (zip format, as torch.save writes)")->required();
  imp->add_option("--space,-s", import->space, "Space name or file the MLP was trained for")->required();
  imp->add_option("--out,-o", import->out, "Predictor folder to write")->required();
  imp->add_option("--encoding", import->encoding, "one_hot or ofa_mbv3 (default: ofa_mbv3 for OFA spaces)")
      ->check(CLI::IsMember({"one_hot", "ofa_mbv3"}));
  imp->add_option("--accuracy-offset", import->accuracy_offset, "accuracy (%) = offset + scale * MLP output")
      ->capture_default_str();
  imp->add_option("--accuracy-scale", import->accuracy_scale,
                  "accuracy (%) = offset + scale * MLP output (100 for MLPs that predict fractions)")
      ->capture_default_str();
  imp->add_option("--source", import->source, "Where the weights come from (recorded in predictor.yaml)");
  imp->add_flag("--replace", import->replace, "Overwrite an existing predictor folder");
  imp->callback([import] { Import(*import); });

  auto nbm = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* nbm_cmd = predictor->add_subcommand(
      "import-nas-bench-macro", "Turn NAS-Bench-Macro's results JSON into an accuracy CSV of its canonical networks");
  nbm_cmd->add_option("json", nbm->first, "nas-bench-macro_cifar10.json")->required();
  nbm_cmd->add_option("--out,-o", nbm->second, "CSV to write (arch,accuracy,std,params,flops)")->required();
  nbm_cmd->callback([nbm] {
    const SearchSpace space = LoadSpace("nas_bench_macro");
    ImportNasBenchMacro(nbm->first, space, nbm->second);
    fmt::print("{}: {} canonical networks\n", nbm->second, LoadAccuracyDataset(nbm->second, space).size());
  });
}

}  // namespace edgenas
