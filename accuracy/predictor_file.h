// Accuracy predictors on disk: a folder with `predictor.yaml` (what the
// weights mean) and one PyTorch state_dict per ensemble member (`mlp_<k>.pt`,
// readable by Python's torch.load). Format: docs/predictors.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "accuracy/accuracy_predictor.h"
#include "accuracy/ridge_regression.h"

namespace edgenas {

// How a predictor was trained; absent for imported ones.
struct TrainingRecord {
  std::string data;              // the dataset's path as given
  std::string data_fingerprint;  // of its bytes
  int networks = 0;              // used for fitting
  int validation_networks = 0;   // held out for early stopping
  uint64_t seed = 0;
  std::vector<int> epochs;             // per member: the epoch early stopping kept
  std::vector<double> validation_rmse;  // per member, percent
};

struct PredictorInfo {
  std::string space;
  FeatureEncoding encoding = FeatureEncoding::kOneHot;
  int features = 0;
  double accuracy_offset = 0;  // accuracy (percent) = offset + scale * MLP output
  double accuracy_scale = 1;
  std::vector<std::string> members;  // state_dict files, relative to the folder
  std::string source;                // where it comes from, free text
  std::optional<TrainingRecord> training;
  std::optional<RidgeModel> ridge_baseline;
};

// Writes predictor.yaml (atomically) into `folder`; the member files are
// written by the trainer.
void WritePredictorInfo(const std::string& folder, const PredictorInfo& info);
PredictorInfo ReadPredictorInfo(const std::string& folder);

struct LoadedPredictor {
  std::string folder;
  PredictorInfo info;
  std::unique_ptr<AccuracyPredictor> predictor;
};

// `name_or_folder`: a shipped predictor (predictors/trained/<name>) or a folder.
// Throws Error if it is missing, was made for another space than `space`, or
// its weights do not fit the space's features.
LoadedPredictor LoadPredictor(const std::string& name_or_folder, const SearchSpace& space);
std::string ResolvePredictorFolder(const std::string& name_or_folder);
std::vector<std::string> BuiltinPredictorNames();

}  // namespace edgenas
