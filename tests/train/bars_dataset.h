// A toy image dataset the training tests learn in seconds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/file_util.h"
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

// `train` and `test` as a folder of IDX files ({train,t10k}-{images-idx3,
// labels-idx1}-ubyte), for the binary's --data FOLDER --format idx.
inline void WriteIdxFolder(const ImageDataset& train, const ImageDataset& test, const std::string& folder) {
  const auto write = [&](const std::string& prefix, const ImageDataset& d) {
    const auto be = [](uint32_t v) {
      return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                         static_cast<char>(v)};
    };
    const uint32_t n = static_cast<uint32_t>(d.count());
    WriteFileAtomically(folder + "/" + prefix + "-images-idx3-ubyte",
                        be(0x803) + be(n) + be(static_cast<uint32_t>(d.height)) + be(static_cast<uint32_t>(d.width)) +
                            std::string(d.pixels.begin(), d.pixels.end()));
    WriteFileAtomically(folder + "/" + prefix + "-labels-idx1-ubyte",
                        be(0x801) + be(n) + std::string(d.labels.begin(), d.labels.end()));
  };
  std::filesystem::create_directories(folder);
  write("train", train);
  write("t10k", test);
}

}  // namespace edgenas::testing
