// Training accuracy-predictor MLPs with LibTorch.
//
// Recipe: features from FeatureEncoder; targets scaled to [0, 1] by the
// training set's min and max; Linear-ReLU stack (default 3 x 400) whose output
// bias starts at the mean scaled target; Adam (lr 1e-3, weight decay 1e-4) on
// mean squared error in minibatches; early stopping on a held-out validation
// share, keeping the best epoch's weights. Everything is seeded, and training
// runs on a fixed number of threads, so a seed gives the same weights.
//
// LibTorch-free header; the implementation is the LibTorch side.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "accuracy/accuracy_dataset.h"
#include "accuracy/predictor_file.h"

namespace edgenas {

struct MlpTrainingOptions {
  std::vector<int> hidden = {400, 400, 400};
  int members = 1;  // ensemble size; member k is trained with seed + k
  double learning_rate = 1e-3;
  double weight_decay = 1e-4;
  int batch_size = 32;
  int max_epochs = 1000;
  int patience = 100;  // stop after this many epochs without a better validation loss
  double validation_fraction = 0.1;
  uint64_t seed = 1;
  int threads = 1;
};

struct TrainedPredictor {
  PredictorInfo info;        // everything but the member file names
  std::vector<Mlp> members;  // the same weights the files hold
};

// Trains on `train` and fits the ridge baseline. If `out_folder` is not empty,
// writes mlp_<k>.pt (PyTorch state_dicts) and predictor.yaml there. `progress`
// (may be empty) is called after each epoch with (member, epoch, validation RMSE).
TrainedPredictor TrainPredictor(const SearchSpace& space, FeatureEncoding encoding, const AccuracyDataset& train,
                                const MlpTrainingOptions& options, const std::string& out_folder,
                                const std::function<void(int, int, double)>& progress = {});

}  // namespace edgenas
