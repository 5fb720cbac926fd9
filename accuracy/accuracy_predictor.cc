#include "accuracy/accuracy_predictor.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace edgenas {

Mlp Mlp::FromStateDict(const std::map<std::string, FloatTensor>& state, const std::string& source) {
  // Sequential indices in numeric order ("10.weight" after "2.weight").
  std::vector<int> indices;
  for (const auto& [key, tensor] : state) {
    const size_t dot = key.find('.');
    const std::string suffix = dot == std::string::npos ? "" : key.substr(dot + 1);
    EDGENAS_THROW_IF_NOT_FMT(suffix == "weight" || suffix == "bias",
                             "{}: unexpected tensor '{}' (an MLP of Linear layers has '<i>.weight' and '<i>.bias')",
                             source, key);
    const std::string index = key.substr(0, dot);
    EDGENAS_THROW_IF_NOT_FMT(!index.empty() && index.size() <= 6 &&
                                 std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; }),
                             "{}: unexpected tensor '{}' (an MLP of Linear layers has '<i>.weight' and '<i>.bias')",
                             source, key);
    if (suffix == "weight") indices.push_back(std::stoi(index));
  }
  std::sort(indices.begin(), indices.end());
  EDGENAS_THROW_IF_NOT_FMT(!indices.empty(), "{}: no '<i>.weight' tensors", source);
  Mlp mlp;
  for (int index : indices) {
    const std::string w_key = fmt::format("{}.weight", index), b_key = fmt::format("{}.bias", index);
    const FloatTensor& w = state.at(w_key);
    const auto b = state.find(b_key);
    EDGENAS_THROW_IF_NOT_FMT(b != state.end(), "{}: '{}' has no '{}'", source, w_key, b_key);
    EDGENAS_THROW_IF_NOT_FMT(w.shape.size() == 2 && b->second.shape == std::vector<int64_t>{w.shape[0]},
                             "{}: '{}' and '{}' are not a Linear layer's shapes", source, w_key, b_key);
    const auto finite = [](const std::vector<float>& values) {
      return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
    };
    EDGENAS_THROW_IF_NOT_FMT(finite(w.values) && finite(b->second.values), "{}: '{}' or '{}' holds NaN or infinity",
                             source, w_key, b_key);
    if (!mlp.weights.empty()) {
      EDGENAS_THROW_IF_NOT_FMT(mlp.weights.back().rows() == w.shape[1],
                               "{}: '{}' takes {} inputs but the layer before gives {}", source, w_key, w.shape[1],
                               mlp.weights.back().rows());
    }
    mlp.weights.push_back(Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        w.values.data(), w.shape[0], w.shape[1]));
    mlp.biases.push_back(Eigen::Map<const Eigen::VectorXf>(b->second.values.data(), w.shape[0]));
  }
  EDGENAS_THROW_IF_NOT_FMT(mlp.weights.size() >= 2,
                           "{}: a single Linear layer; an MLP predictor needs at least one hidden layer", source);
  EDGENAS_THROW_IF_NOT_FMT(mlp.weights.back().rows() == 1, "{}: the last layer has {} outputs, 1 expected", source,
                           mlp.weights.back().rows());
  return mlp;
}

std::vector<int> Mlp::hidden_sizes() const {
  std::vector<int> sizes;
  for (size_t i = 0; i + 1 < weights.size(); ++i) sizes.push_back(static_cast<int>(weights[i].rows()));
  return sizes;
}

float Mlp::Forward(const std::vector<float>& input) const {
  Eigen::VectorXf h = Eigen::Map<const Eigen::VectorXf>(input.data(), input.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    h = weights[i] * h + biases[i];
    if (i + 1 < weights.size()) h = h.cwiseMax(0.0f);
  }
  return h(0);
}

// Activations of one tile, reused across calls by one thread.
struct AccuracyPredictor::Workspace {
  std::vector<int> active;
  std::vector<int> active_count;
  std::vector<Eigen::MatrixXf> hidden;  // per layer except the last: [width, kTile]
  Eigen::RowVectorXf output;
  Eigen::MatrixXf member_outputs;  // [members, kTile]
};

struct AccuracyPredictor::ThreadWorkspaces {
  tbb::enumerable_thread_specific<Workspace> per_thread;
};

AccuracyPredictor::AccuracyPredictor(const SearchSpace& space, FeatureEncoding encoding, std::vector<Mlp> members,
                                     double accuracy_offset, double accuracy_scale)
    : encoder_(space, encoding),
      members_(std::move(members)),
      accuracy_offset_(accuracy_offset),
      accuracy_scale_(accuracy_scale),
      workspaces_(std::make_unique<ThreadWorkspaces>()) {
  EDGENAS_THROW_IF_NOT_FMT(!members_.empty(), "an accuracy predictor needs at least one MLP");
  for (const Mlp& mlp : members_) {
    EDGENAS_THROW_IF_NOT_FMT(mlp.num_inputs() == encoder_.num_features(),
                             "the MLP takes {} inputs but space '{}' with encoding {} has {} features",
                             mlp.num_inputs(), space.name(), FeatureEncodingToString(encoding), encoder_.num_features());
  }
}

AccuracyPredictor::~AccuracyPredictor() = default;

void AccuracyPredictor::PredictTile(const Genome* genomes, int count, AccuracyPrediction* out, Workspace& ws) const {
  const int max_active = encoder_.max_active();
  if (ws.active.empty()) {  // first use by this thread
    ws.active.resize(static_cast<size_t>(max_active) * kTile);
    ws.active_count.resize(kTile);
    ws.member_outputs.resize(num_members(), kTile);
  }
  // Unused columns of the last tile repeat its first genome; their results are dropped.
  for (int j = 0; j < kTile; ++j) {
    ws.active_count[j] = encoder_.ActiveFeatures(genomes[j < count ? j : 0], &ws.active[j * max_active]);
  }
  for (int m = 0; m < num_members(); ++m) {
    const Mlp& mlp = members_[m];
    const size_t layers = mlp.weights.size();
    ws.hidden.resize(std::max(ws.hidden.size(), layers - 1));
    // Layer 1: the input is one-hot, so W x is a sum of W's columns.
    Eigen::MatrixXf& first = ws.hidden[0];
    first.resize(mlp.weights[0].rows(), kTile);
    for (int j = 0; j < kTile; ++j) {
      auto column = first.col(j);
      column = mlp.biases[0];
      for (int k = 0; k < ws.active_count[j]; ++k) column += mlp.weights[0].col(ws.active[j * max_active + k]);
      column = column.cwiseMax(0.0f);
    }
    for (size_t l = 1; l + 1 < layers; ++l) {
      Eigen::MatrixXf& h = ws.hidden[l];
      h.resize(mlp.weights[l].rows(), kTile);
      h.noalias() = mlp.weights[l] * ws.hidden[l - 1];
      h = (h.colwise() + mlp.biases[l]).cwiseMax(0.0f);
    }
    ws.output.resize(kTile);
    ws.output.noalias() = mlp.weights[layers - 1] * ws.hidden[layers - 2];
    ws.member_outputs.row(m) = (ws.output.array() + mlp.biases[layers - 1](0)).matrix();
  }
  const int members = num_members();
  for (int j = 0; j < count; ++j) {
    double mean = 0, variance = 0;
    for (int m = 0; m < members; ++m) mean += accuracy_offset_ + accuracy_scale_ * ws.member_outputs(m, j);
    mean /= members;
    for (int m = 0; m < members; ++m) {
      const double deviation = accuracy_offset_ + accuracy_scale_ * ws.member_outputs(m, j) - mean;
      variance += deviation * deviation / members;
    }
    out[j].mean = static_cast<float>(mean);
    out[j].spread = static_cast<float>(std::sqrt(variance));
  }
}

void AccuracyPredictor::Predict(const Genome* genomes, size_t count, AccuracyPrediction* out) const {
  const size_t tiles = (count + kTile - 1) / kTile;
  const auto run_tile = [&](size_t t) {
    const size_t begin = t * kTile;
    const int n = static_cast<int>(std::min<size_t>(kTile, count - begin));
    PredictTile(genomes + begin, n, out + begin, workspaces_->per_thread.local());
  };
  if (tiles <= 1) {
    if (tiles == 1) run_tile(0);
    return;
  }
  tbb::parallel_for(size_t{0}, tiles, run_tile);
}

std::vector<AccuracyPrediction> AccuracyPredictor::Predict(const std::vector<Genome>& genomes) const {
  std::vector<AccuracyPrediction> out(genomes.size());
  Predict(genomes.data(), genomes.size(), out.data());
  return out;
}

AccuracyPrediction AccuracyPredictor::Predict(const Genome& genome) const {
  AccuracyPrediction out;
  Predict(&genome, 1, &out);
  return out;
}

double AccuracyPredictor::FlopsPerPrediction() const {
  double flops = 0;
  for (const Mlp& mlp : members_) {
    for (const Eigen::MatrixXf& w : mlp.weights) flops += 2.0 * w.rows() * w.cols();
  }
  return flops;
}

void AccuracyPredictor::Score(const Genome* genomes, size_t n, double* values) const {
  std::vector<AccuracyPrediction> predictions(n);
  Predict(genomes, n, predictions.data());
  for (size_t i = 0; i < n; ++i) values[i] = predictions[i].mean;
}

void AccuracyPredictor::ScoreWithSpread(const Genome* genomes, size_t n, double* values, double* spreads) const {
  std::vector<AccuracyPrediction> predictions(n);
  Predict(genomes, n, predictions.data());
  for (size_t i = 0; i < n; ++i) {
    values[i] = predictions[i].mean;
    spreads[i] = predictions[i].spread;
  }
}

}  // namespace edgenas
