#include "train/mlp_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "models/torch_process.h"
#include "train/training_loop.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

torch::Tensor Features(const FeatureEncoder& encoder, const AccuracyDataset& data) {
  torch::Tensor x = torch::zeros({static_cast<int64_t>(data.size()), encoder.num_features()});
  auto rows = x.accessor<float, 2>();
  std::vector<int> active(encoder.max_active());
  for (size_t i = 0; i < data.size(); ++i) {
    const int n = encoder.ActiveFeatures(data.genomes[i], active.data());
    for (int k = 0; k < n; ++k) rows[i][active[k]] = 1.0f;
  }
  return x;
}

// Networks held out for early stopping: the validation share, at least one,
// leaving at least one to fit.
size_t ValidationSize(size_t n, double fraction) {
  return std::clamp<size_t>(static_cast<size_t>(std::lround(fraction * n)), 1, n - 1);
}

torch::nn::Sequential MakeMlp(int inputs, const std::vector<int>& hidden) {
  torch::nn::Sequential mlp;
  int width = inputs;
  for (int h : hidden) {
    mlp->push_back(torch::nn::Linear(width, h));
    mlp->push_back(torch::nn::ReLU());
    width = h;
  }
  mlp->push_back(torch::nn::Linear(width, 1));
  return mlp;
}

// Parameter name -> detached copy, as a state_dict ("0.weight", "0.bias", ...).
std::map<std::string, torch::Tensor> Snapshot(const torch::nn::Sequential& mlp) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& p : mlp->named_parameters()) state[p.key()] = p.value().detach().clone();
  return state;
}

std::map<std::string, FloatTensor> ToFloatTensors(const std::map<std::string, torch::Tensor>& state) {
  std::map<std::string, FloatTensor> out;
  for (const auto& [name, tensor] : state) {
    const torch::Tensor t = tensor.contiguous();
    FloatTensor f;
    f.shape.assign(t.sizes().begin(), t.sizes().end());
    f.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    out[name] = std::move(f);
  }
  return out;
}

void WriteStateDict(const std::string& path, const std::map<std::string, torch::Tensor>& state) {
  std::vector<std::pair<std::string, FloatTensor>> tensors;
  for (auto& [name, tensor] : ToFloatTensors(state)) tensors.emplace_back(name, std::move(tensor));
  WriteTorchStateDict(path, tensors);
}

struct MemberResult {
  std::map<std::string, torch::Tensor> state;
  int best_epoch = 0;
  double validation_rmse = 0;  // percent
};

MemberResult TrainMember(const torch::Tensor& x, const torch::Tensor& y_scaled, double scale,
                         const MlpTrainingOptions& o, uint64_t seed, int member,
                         const std::function<void(int, int, double)>& progress) {
  const int64_t n = x.size(0);
  std::vector<size_t> validation, fit;
  SplitIndices(n, ValidationSize(n, o.validation_fraction), seed, &validation, &fit);
  const auto index = [](const std::vector<size_t>& v) {
    std::vector<int64_t> i(v.begin(), v.end());
    return torch::tensor(i, torch::kLong);
  };
  const torch::Tensor x_fit = x.index_select(0, index(fit)), y_fit = y_scaled.index_select(0, index(fit));
  const torch::Tensor x_val = x.index_select(0, index(validation)), y_val = y_scaled.index_select(0, index(validation));

  torch::manual_seed(seed);
  torch::nn::Sequential mlp = MakeMlp(static_cast<int>(x.size(1)), o.hidden);
  {
    torch::NoGradGuard no_grad;
    auto last = mlp->ptr(mlp->size() - 1)->as<torch::nn::Linear>();
    last->bias.fill_(y_fit.mean().item<float>());
  }
  torch::optim::Adam adam(mlp->parameters(),
                          torch::optim::AdamOptions(o.learning_rate).weight_decay(o.weight_decay));
  MemberResult best;
  double best_loss = std::numeric_limits<double>::infinity();
  TrainingLoopOptions loop;
  loop.epochs = o.max_epochs;
  loop.batch_size = o.batch_size;
  loop.seed = seed;
  mlp->train();
  RunTrainingLoop(
      adam, static_cast<int64_t>(fit.size()), loop,
      [&](const std::vector<int64_t>& rows, int) {
        const torch::Tensor batch = torch::tensor(rows, torch::kLong);
        return torch::mse_loss(mlp->forward(x_fit.index_select(0, batch)).squeeze(1), y_fit.index_select(0, batch));
      },
      [&](const EpochReport& r) {
        torch::NoGradGuard no_grad;
        mlp->eval();
        const double loss = torch::mse_loss(mlp->forward(x_val).squeeze(1), y_val).item<double>();
        mlp->train();
        if (loss < best_loss) {
          best_loss = loss;
          best.best_epoch = r.epoch;
          best.state = Snapshot(mlp);
        }
        if (progress) progress(member, r.epoch, std::sqrt(loss) * scale);
        return r.epoch - best.best_epoch < o.patience;  // early stopping
      });
  best.validation_rmse = std::sqrt(best_loss) * scale;
  return best;
}

}  // namespace

TrainedPredictor TrainPredictor(const SearchSpace& space, FeatureEncoding encoding, const AccuracyDataset& train,
                                const MlpTrainingOptions& o, const std::string& out_folder,
                                const std::function<void(int, int, double)>& progress) {
  EDGENAS_THROW_IF_NOT_FMT(train.size() >= 10, "training needs at least 10 networks, got {}", train.size());
  EDGENAS_THROW_IF_NOT_FMT(o.members >= 1 && o.batch_size >= 1 && o.max_epochs >= 1 && o.validation_fraction > 0 &&
                               o.validation_fraction < 1,
                           "invalid training options: members {}, batch size {}, epochs {}, validation share {}",
                           o.members, o.batch_size, o.max_epochs, o.validation_fraction);
  SetTorchThreads(std::max(1, o.threads));
  const FeatureEncoder encoder(space, encoding);
  const auto [low, high] = std::minmax_element(train.accuracy.begin(), train.accuracy.end());
  const double offset = *low, scale = *high > *low ? *high - *low : 1.0;
  const torch::Tensor x = Features(encoder, train);
  torch::Tensor y = torch::empty({static_cast<int64_t>(train.size())});
  for (size_t i = 0; i < train.size(); ++i) y[i] = static_cast<float>((train.accuracy[i] - offset) / scale);

  TrainedPredictor result;
  PredictorInfo& info = result.info;
  info.space = space.name();
  info.encoding = encoding;
  info.features = encoder.num_features();
  info.accuracy_offset = offset;
  info.accuracy_scale = scale;
  TrainingRecord record;
  record.data = train.path;
  record.data_fingerprint = train.fingerprint;
  record.seed = o.seed;
  std::vector<std::map<std::string, torch::Tensor>> states;
  for (int k = 0; k < o.members; ++k) {
    MemberResult member = TrainMember(x, y, scale, o, o.seed + k, k, progress);
    record.epochs.push_back(member.best_epoch);
    record.validation_rmse.push_back(member.validation_rmse);
    result.members.push_back(Mlp::FromStateDict(ToFloatTensors(member.state), "trained MLP"));
    states.push_back(std::move(member.state));
    info.members.push_back(fmt::format("mlp_{}.pt", k));
  }
  const size_t validation_size = ValidationSize(train.size(), o.validation_fraction);
  record.validation_networks = static_cast<int>(validation_size);
  record.networks = static_cast<int>(train.size() - validation_size);
  info.training = record;
  info.ridge_baseline = FitRidge(encoder, train, o.seed);

  if (!out_folder.empty()) {
    for (int k = 0; k < o.members; ++k) WriteStateDict((fs::path(out_folder) / info.members[k]).string(), states[k]);
    WritePredictorInfo(out_folder, info);  // last: a folder with predictor.yaml is complete
  }
  return result;
}

}  // namespace edgenas
