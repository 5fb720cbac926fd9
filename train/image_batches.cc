#include "train/image_batches.h"

#include <cmath>

#include "common/error.h"

namespace edgenas {

void ChannelStatistics(const ImageDataset& data, std::vector<float>* mean, std::vector<float>* std) {
  const int64_t plane = int64_t{data.height} * data.width;
  mean->assign(data.channels, 0);
  std->assign(data.channels, 0);
  for (int c = 0; c < data.channels; ++c) {
    double sum = 0, sum_sq = 0;
    for (int64_t i = 0; i < data.count(); ++i) {
      const uint8_t* p = data.image(i) + c * plane;
      for (int64_t k = 0; k < plane; ++k) {
        sum += p[k];
        sum_sq += double{p[k]} * p[k];
      }
    }
    const double n = static_cast<double>(data.count() * plane) * 255.0;
    const double m = sum / n;
    (*mean)[c] = static_cast<float>(m);
    (*std)[c] = static_cast<float>(std::sqrt(std::max(1e-12, sum_sq / (n * 255.0) - m * m)));
  }
}

ImageBatcher::ImageBatcher(const ImageDataset& data, InputContract contract)
    : data_(data), contract_(std::move(contract)) {
  EDGENAS_THROW_IF_NOT_FMT(data.channels == contract_.channels || data.channels == 1,
                           "the data has {} channels but the network takes {}", data.channels, contract_.channels);
  EDGENAS_THROW_IF_NOT_FMT(static_cast<int>(contract_.mean.size()) == data.channels &&
                               static_cast<int>(contract_.std.size()) == data.channels,
                           "one mean and standard deviation per data channel ({}) expected", data.channels);
}

torch::Tensor ImageBatcher::Images(const std::vector<int64_t>& indices, const Augmentation* augment, Rng* rng) const {
  // Augment and normalise in one pass over the bytes, by hand: a batch is a
  // few hundred thousand bytes, far cheaper than the step it feeds (and than a
  // chain of small tensor ops per image).
  const int channels = data_.channels, h = data_.height, w = data_.width;
  const int64_t plane = int64_t{h} * w;
  const int64_t b = static_cast<int64_t>(indices.size());
  torch::Tensor out = torch::empty({b, channels, h, w}, torch::kFloat);
  float* dst = out.data_ptr<float>();
  std::vector<float> scale(channels), shift(channels);
  for (int c = 0; c < channels; ++c) {
    scale[c] = 1.0f / (255.0f * contract_.std[c]);
    shift[c] = -contract_.mean[c] / contract_.std[c];
  }
  for (int64_t i = 0; i < b; ++i) {
    const uint8_t* src = data_.image(indices[i]);
    int dy = 0, dx = 0;
    bool flip = false;
    if (augment != nullptr) {
      if (augment->pad > 0) {
        dy = static_cast<int>(rng->UniformInt(2 * augment->pad + 1)) - augment->pad;
        dx = static_cast<int>(rng->UniformInt(2 * augment->pad + 1)) - augment->pad;
      }
      flip = augment->flip && rng->Bernoulli(0.5);
    }
    for (int c = 0; c < channels; ++c) {
      float* d = dst + (i * channels + c) * plane;
      const uint8_t* s = src + c * plane;
      for (int y = 0; y < h; ++y) {
        const int sy = y + dy;
        for (int x = 0; x < w; ++x) {
          const int sx = (flip ? w - 1 - x : x) + dx;
          const float pixel = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? s[sy * w + sx] : 0.0f;
          d[y * w + x] = pixel * scale[c] + shift[c];
        }
      }
    }
  }
  if (contract_.resolution != h || contract_.resolution != w) {
    out = torch::nn::functional::interpolate(
        out, torch::nn::functional::InterpolateFuncOptions()
                 .size(std::vector<int64_t>{contract_.resolution, contract_.resolution})
                 .mode(torch::kBilinear)
                 .align_corners(false));
  }
  if (channels != contract_.channels) out = out.expand({b, contract_.channels, -1, -1});
  return out.contiguous(torch::MemoryFormat::ChannelsLast);
}

torch::Tensor ImageBatcher::Labels(const std::vector<int64_t>& indices) const {
  torch::Tensor labels = torch::empty({static_cast<int64_t>(indices.size())}, torch::kLong);
  int64_t* p = labels.data_ptr<int64_t>();
  for (size_t i = 0; i < indices.size(); ++i) p[i] = data_.labels[indices[i]];
  return labels;
}

}  // namespace edgenas
