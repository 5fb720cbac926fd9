// A toy image dataset the training tests learn in seconds.
#pragma once

#include "common/rng.h"
#include "datasets/image_dataset.h"

namespace edgenas::testing {

// 16x16 grey images of two classes a network must tell apart: a bright bar
// at the top or at the bottom, in noise (a horizontal flip keeps the class).
inline ImageDataset Bars(int count, uint64_t seed) {
  ImageDataset d;
  d.height = d.width = 16;
  d.class_names = {"top", "bottom"};
  Rng rng(seed);
  for (int i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng.UniformInt(2));
    d.labels.push_back(static_cast<uint8_t>(label));
    for (int y = 0; y < 16; ++y) {
      for (int x = 0; x < 16; ++x) {
        const bool bar = label == 0 ? (y >= 2 && y < 6) : (y >= 10 && y < 14);
        d.pixels.push_back(static_cast<uint8_t>((bar ? 160 : 0) + rng.UniformInt(90)));
      }
    }
  }
  return d;
}

}  // namespace edgenas::testing
