// Predicted accuracy of architectures: an ensemble of MLPs over one-hot
// features (feature_encoder.h), evaluated with Eigen.
//
// Why Eigen and not LibTorch: for a search generation (100 candidates) Eigen
// is faster (bench/predictor_bench.cc; docs/predictors.md has the figures), and
// the search binary stays free of LibTorch, whose loading alone costs 0.45 s.
// Training is done with LibTorch (train/mlp_trainer.h); both read and write
// the same PyTorch state_dict files.
//
// Determinism: candidates are evaluated in tiles of kTile columns, padding the
// last tile, so every prediction goes through the same GEMM shapes and code
// paths. A genome's prediction is therefore the same bits whatever batch it is
// in and whichever thread computes it.
#pragma once

#include <Eigen/Core>

#include <memory>
#include <string>
#include <vector>

#include "accuracy/feature_encoder.h"
#include "accuracy/torch_state_dict.h"
#include "space/scorer.h"

namespace edgenas {

// Linear layers with ReLU between them; the last has one output.
struct Mlp {
  std::vector<Eigen::MatrixXf> weights;  // [out, in], like torch.nn.Linear
  std::vector<Eigen::VectorXf> biases;

  // From a state_dict of an nn.Sequential of Linear and ReLU modules: keys
  // "<i>.weight" and "<i>.bias" in index order ("0.weight", "2.weight", ...).
  // Throws Error naming `source` if the shapes do not chain to one output.
  static Mlp FromStateDict(const std::map<std::string, FloatTensor>& state, const std::string& source);
  int num_inputs() const { return static_cast<int>(weights.front().cols()); }
  std::vector<int> hidden_sizes() const;
  // Reference forward pass of one dense input, for checks.
  float Forward(const std::vector<float>& input) const;
};

struct AccuracyPrediction {
  float mean = 0;    // accuracy, in the predictor's unit (percent for edgenas-trained ones)
  float spread = 0;  // standard deviation over the ensemble's members; 0 for one member
};

class AccuracyPredictor : public Scorer {
 public:
  static constexpr int kTile = 16;

  // accuracy = accuracy_offset + accuracy_scale * (MLP output), for each member.
  // Throws Error if a member's input size differs from the encoder's features.
  AccuracyPredictor(const SearchSpace& space, FeatureEncoding encoding, std::vector<Mlp> members,
                    double accuracy_offset, double accuracy_scale);
  ~AccuracyPredictor() override;

  const FeatureEncoder& encoder() const { return encoder_; }
  int num_members() const { return static_cast<int>(members_.size()); }
  const std::vector<Mlp>& members() const { return members_; }
  double accuracy_offset() const { return accuracy_offset_; }
  double accuracy_scale() const { return accuracy_scale_; }

  // Predicts `count` genomes into `out`. Tiles run in parallel on the TBB
  // arena of the caller. Allocates nothing per candidate: each thread reuses
  // its own workspace.
  void Predict(const Genome* genomes, size_t count, AccuracyPrediction* out) const;
  std::vector<AccuracyPrediction> Predict(const std::vector<Genome>& genomes) const;
  AccuracyPrediction Predict(const Genome& genome) const;

  // Scorer: the ensemble's mean, and its spread. Values are the float
  // predictions widened to double.
  void Score(const Genome* genomes, size_t n, double* values) const override;
  void ScoreWithSpread(const Genome* genomes, size_t n, double* values, double* spreads) const override;
  bool has_spread() const override { return true; }

  // Floating-point operations of one prediction (all members), counting the
  // first layer as the dense product a plain MLP would do.
  double FlopsPerPrediction() const;

 private:
  struct Workspace;
  void PredictTile(const Genome* genomes, int count, AccuracyPrediction* out, Workspace& ws) const;

  FeatureEncoder encoder_;
  std::vector<Mlp> members_;
  double accuracy_offset_;
  double accuracy_scale_;
  struct ThreadWorkspaces;
  std::unique_ptr<ThreadWorkspaces> workspaces_;
};

}  // namespace edgenas
