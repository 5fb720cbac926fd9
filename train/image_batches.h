// Minibatches of an in-memory ImageDataset as the float tensors a network
// takes: normalised per channel, optionally augmented (random crop from a
// zero-padded image, horizontal flip), resized to the network's resolution,
// grey replicated to the network's channels, channels-last in memory.
//
// LibTorch side.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "common/rng.h"
#include "datasets/image_dataset.h"

namespace edgenas {

// What a network is fed, and how pixels become its input: x = (p / 255 - mean) / std.
struct InputContract {
  int channels = 3;     // the network's input channels (1-channel data is replicated)
  int resolution = 32;  // the network's input height = width
  std::vector<float> mean;  // per data channel, of pixel / 255
  std::vector<float> std;
};

struct Augmentation {
  int pad = 0;        // random crop of the data's size from the image padded by this (0: none)
  bool flip = false;  // mirror left-right with probability 1/2
};

// Per-channel mean and standard deviation of pixel / 255 over `data`.
void ChannelStatistics(const ImageDataset& data, std::vector<float>* mean, std::vector<float>* std);

class ImageBatcher {
 public:
  // Borrows `data`, which must outlive the batcher.
  ImageBatcher(const ImageDataset& data, InputContract contract);

  // Images data[indices] as [B, channels, resolution, resolution] floats.
  // `augment` and `rng` may be null for evaluation.
  torch::Tensor Images(const std::vector<int64_t>& indices, const Augmentation* augment, Rng* rng) const;
  // Their labels, int64 [B].
  torch::Tensor Labels(const std::vector<int64_t>& indices) const;

  const InputContract& contract() const { return contract_; }

 private:
  const ImageDataset& data_;
  InputContract contract_;
};

}  // namespace edgenas
