// Training one network of a space on labelled images: `edgenas train`.
//
// SGD with Nesterov momentum; a learning rate that warms up linearly then
// follows a cosine to zero, per step; weight decay on conv and linear weights
// only (not on BN parameters or biases); cross-entropy with label smoothing;
// optionally distilled from a teacher trained the same way (its soft targets
// at temperature T mixed with the hard loss). Images are normalised by the
// training set's per-channel statistics and augmented by a random crop from a
// padded image and a horizontal flip. A validation set carved from the
// training set (seeded) is what selects and ranks; the test set is only
// reported. After the last epoch, BatchNorm statistics are re-estimated on
// 2,000 training images (short schedules leave them stale). Deterministic for
// a seed and thread count.
//
// A run writes into its folder, each file atomically:
//   checkpoint.pt    after every epoch, while training (removed at the end)
//   weights.pt       the trained state_dict (torch.load(path, weights_only=True) reads it)
//   metrics.json     accuracies, the loss curve, params, MACs, times, schedule, input contract
// A run killed at any point resumes from its last checkpoint (`resume`),
// losing at most the epoch under way, and ends with the same weights.
//
// LibTorch-free header; the implementation is the LibTorch side.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "datasets/image_dataset.h"
#include "space/search_space.h"

namespace edgenas {

struct TrainingSchedule {
  int epochs = 3;
  double warmup_epochs = 0.3;   // linear warm-up from 0, in epochs (fractions allowed)
  int batch_size = 128;
  double learning_rate = 0.2;   // peak, for batch_size
  double momentum = 0.9;        // Nesterov
  double weight_decay = 4e-5;   // conv and linear weights only
  double label_smoothing = 0.1;
  int pad = 2;                  // random-crop padding, pixels of the data (0: no crop)
  bool flip = true;
  int64_t train_images = 0;       // train on the first this many of the (shuffled) training split; 0: all
  int64_t validation_images = 5000;  // carved from the training set, seeded

  // Names a broken rule: "TrainingSchedule::epochs = 0. Violated constraint: epochs >= 1".
  bool IsValid(std::string* error) const;
};

struct TeacherOptions {
  std::string folder;         // a finished `edgenas train` folder; empty: no distillation
  double temperature = 4.0;
  double weight = 0.5;        // loss = (1 - weight) * hard + weight * T^2 * KL(teacher || student)
};

struct ClassifierTrainingOptions {
  TrainingSchedule schedule;
  TeacherOptions teacher;
  uint64_t seed = 0;
  int threads = 1;
  std::string out_folder;  // required
  bool resume = false;     // continue from out_folder/checkpoint.pt
  // Asked after each epoch (after its checkpoint); true stops there. May be empty.
  std::function<bool()> stop_requested;
};

struct TrainingProgress {
  int epoch = 0, epochs = 0;
  int64_t step = 0, steps = 0;  // within the epoch
  double loss = 0;
  double images_per_second = 0;  // over the run so far
  double eta_seconds = 0;
  bool epoch_done = false;       // true once per epoch, with the validation accuracy
  double validation_top1 = 0;
};

struct ClassifierMetrics {
  double validation_top1 = 0;  // percent
  double test_top1 = 0;        // percent
  std::vector<double> train_loss;            // per epoch
  std::vector<double> validation_top1_curve;  // per epoch
  int64_t params = 0;
  int64_t macs = 0;
  double train_seconds = 0;    // training epochs only, summed over resumed parts
  bool interrupted = false;    // stopped by stop_requested; resume to finish
};

// Trains `genome` of `space` on `train` (its last layer resized to the data's
// classes), tests on `test`, and writes the files above. Throws Error for
// options or data that do not fit.
ClassifierMetrics TrainClassifier(const SearchSpace& space, const Genome& genome, const ImageDataset& train,
                                  const ImageDataset& test, const ClassifierTrainingOptions& options,
                                  const std::function<void(const TrainingProgress&)>& progress = {});

// The network's spec with its classifier resized to `classes` outputs.
NetworkSpec SpecWithClasses(NetworkSpec spec, int classes);

}  // namespace edgenas
