#include "train/training_loop.h"

#include <chrono>
#include <numeric>

#include "common/error.h"
#include "common/rng.h"

namespace edgenas {

std::vector<int64_t> EpochOrder(int64_t n, uint64_t seed, int epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  Rng rng(seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(epoch));
  rng.Shuffle(&order);
  return order;
}

int64_t StepsPerEpoch(int64_t num_examples, int batch_size) { return (num_examples + batch_size - 1) / batch_size; }

void RunTrainingLoop(torch::optim::Optimizer& optimizer, int64_t num_examples, const TrainingLoopOptions& o,
                     const std::function<torch::Tensor(const std::vector<int64_t>&, int)>& batch_loss,
                     const std::function<bool(const EpochReport&)>& end_epoch,
                     const std::function<void(const StepReport&)>& on_step) {
  EDGENAS_THROW_IF_NOT_FMT(num_examples > 0 && o.batch_size > 0 && o.first_epoch >= 1,
                           "training loop: {} examples, batch size {}, first epoch {}", num_examples, o.batch_size,
                           o.first_epoch);
  const int64_t steps_per_epoch = StepsPerEpoch(num_examples, o.batch_size);
  for (int epoch = o.first_epoch; epoch <= o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int64_t> order = EpochOrder(num_examples, o.seed, epoch);
    double loss_sum = 0;
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      const int64_t global_step = (epoch - 1) * steps_per_epoch + step;
      double lr = 0;
      if (o.learning_rate) {
        lr = o.learning_rate(global_step);
        for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
      } else {
        lr = optimizer.param_groups().front().options().get_lr();
      }
      const auto first = order.begin() + step * o.batch_size;
      const std::vector<int64_t> batch(first, first + std::min<int64_t>(o.batch_size, num_examples - step * o.batch_size));
      optimizer.zero_grad();
      const torch::Tensor loss = batch_loss(batch, epoch);
      loss.backward();
      optimizer.step();
      const double value = loss.item<double>();
      loss_sum += value;
      if (on_step) on_step({epoch, step + 1, steps_per_epoch, value, lr});
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!end_epoch({epoch, loss_sum / static_cast<double>(steps_per_epoch), seconds, num_examples})) return;
  }
}

}  // namespace edgenas
