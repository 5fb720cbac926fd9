// The minibatch loop every trainer in edgenas runs (networks on images, MLP
// accuracy predictors): per epoch a shuffled order of the examples, then per
// batch the learning rate, a forward loss, backward and an optimizer step.
//
// The order of an epoch depends only on (seed, epoch), so an interrupted run
// resumed at its next epoch continues exactly where it stopped.
//
// LibTorch side: only train/, models/ and edgenas-torch include this.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace edgenas {

struct TrainingLoopOptions {
  int first_epoch = 1;  // > 1 when resuming
  int epochs = 1;       // the last epoch run
  int batch_size = 128;
  uint64_t seed = 0;
  // Learning rate for the optimizer step numbered `step` (from 0, counting
  // every step since epoch 1). Empty: the optimizer's own.
  std::function<double(int64_t step)> learning_rate;
};

struct EpochReport {
  int epoch = 0;
  double mean_loss = 0;  // over the epoch's batches
  double seconds = 0;    // the epoch's wall time
  int64_t examples = 0;
};

struct StepReport {
  int epoch = 0;
  int64_t step_in_epoch = 0;  // from 1
  int64_t steps_per_epoch = 0;
  double loss = 0;
  double learning_rate = 0;
};

// The examples 0..n-1 in the order epoch `epoch` visits them.
std::vector<int64_t> EpochOrder(int64_t n, uint64_t seed, int epoch);

// Batches per epoch (the last one may be smaller).
int64_t StepsPerEpoch(int64_t num_examples, int batch_size);

// Runs epochs options.first_epoch..options.epochs over `num_examples`
// examples. `batch_loss(indices, epoch)` returns the loss of those examples
// (in training mode); `end_epoch` runs after each epoch and returns false to
// stop there; `on_step` (may be empty) after each step.
void RunTrainingLoop(torch::optim::Optimizer& optimizer, int64_t num_examples, const TrainingLoopOptions& options,
                     const std::function<torch::Tensor(const std::vector<int64_t>&, int)>& batch_loss,
                     const std::function<bool(const EpochReport&)>& end_epoch,
                     const std::function<void(const StepReport&)>& on_step = {});

}  // namespace edgenas
