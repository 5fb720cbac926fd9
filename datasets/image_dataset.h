// Labelled image datasets held in memory as bytes, read from the files users
// have: IDX (MNIST, Fashion-MNIST; gzip'd or not) and CIFAR-10's binary
// batches. LibTorch-free: training turns them into tensors.
//
//   ImageDataset train = ReadFashionMnist(FashionMnistFolder(), DatasetPart::kTrain);
//   const DatasetSplit split = SplitForValidation(train.count(), 6000, /*seed=*/0);
//
// Every reader checks what it reads (magic numbers, sizes against the header,
// labels against the classes, images against labels) and throws Error naming
// the file and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgenas {

struct ImageDataset {
  int channels = 1;
  int height = 0;
  int width = 0;
  std::vector<std::string> class_names;  // label i is class_names[i]
  std::vector<uint8_t> pixels;           // image-major, then channel, row, column (CHW per image)
  std::vector<uint8_t> labels;           // one per image, < class_names.size()

  int64_t count() const { return static_cast<int64_t>(labels.size()); }
  int64_t image_bytes() const { return int64_t{channels} * height * width; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_bytes(); }
};

enum class DatasetPart { kTrain, kTest };

// An IDX image file (magic 0x00000803: count, rows, columns, then bytes) and
// its IDX label file (0x00000801), each gzip'd or plain. Labels must be below
// class_names.size().
ImageDataset ReadIdx(const std::string& images_path, const std::string& labels_path,
                     std::vector<std::string> class_names);

// CIFAR-10 binary batches: records of 1 label byte and 3x32x32 pixel bytes
// (red plane, green, blue), concatenated in file order.
ImageDataset ReadCifar10(const std::vector<std::string>& batch_paths);

// The folder of Debian's dataset-fashion-mnist package, or $EDGENAS_FASHION_MNIST.
std::string FashionMnistFolder();
// Fashion-MNIST's train (60,000) or test (10,000) images from `folder`, which
// holds {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
ImageDataset ReadFashionMnist(const std::string& folder, DatasetPart part);
// The train or test part of an MNIST-style folder of IDX files,
// {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
ImageDataset ReadIdxFolder(const std::string& folder, DatasetPart part, std::vector<std::string> class_names);
// CIFAR-10's train (data_batch_1..5.bin) or test (test_batch.bin) from `folder`
// (the cifar-10-batches-bin folder of the binary release).
ImageDataset ReadCifar10Folder(const std::string& folder, DatasetPart part);

// Indices into a training set: a seeded validation set carved out of it, for
// everything that selects or ranks, and the rest to train on. Both sorted.
struct DatasetSplit {
  std::vector<int64_t> train;
  std::vector<int64_t> validation;
};
// Throws Error unless 0 < validation_count < count.
DatasetSplit SplitForValidation(int64_t count, int64_t validation_count, uint64_t seed);

}  // namespace edgenas
