// Where a command's images come from: the built-in Fashion-MNIST, or a folder
// of the user's own (IDX or CIFAR-10 binary files). Shared by the LibTorch
// commands that train, calibrate or evaluate on images.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/error.h"
#include "datasets/image_dataset.h"

namespace edgenas {

// Where the images come from: the built-in dataset, or a folder of the user's.
struct DataSource {
  std::string dataset = "fashion-mnist";
  std::string data;    // a folder of the user's own images
  std::string format;  // idx | cifar10, with --data
  int classes = 10;    // idx: labels are 0..classes-1

  void AddOptions(CLI::App* command) {
    command->add_option("--dataset", dataset, "Built-in dataset (Debian's dataset-fashion-mnist)")
        ->capture_default_str()
        ->check(CLI::IsMember({"fashion-mnist"}));
    command->add_option("--data", data, "A folder of your own images instead (see --format)");
    command
        ->add_option("--format", format,
                     "idx: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; cifar10: data_batch_1..5.bin, "
                     "test_batch.bin")
        ->check(CLI::IsMember({"idx", "cifar10"}));
    command->add_option("--classes", classes, "idx: number of classes (labels 0..N-1)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
  }

  std::string Name() const { return data.empty() ? dataset : data; }

  void Load(ImageDataset* train, ImageDataset* test) const {
    EDGENAS_THROW_IF_NOT_FMT(data.empty() == format.empty(), "--data and --format come together");
    if (data.empty()) {
      *train = ReadFashionMnist(FashionMnistFolder(), DatasetPart::kTrain);
      *test = ReadFashionMnist(FashionMnistFolder(), DatasetPart::kTest);
    } else if (format == "cifar10") {
      *train = ReadCifar10Folder(data, DatasetPart::kTrain);
      *test = ReadCifar10Folder(data, DatasetPart::kTest);
    } else {
      std::vector<std::string> names;
      for (int i = 0; i < classes; ++i) names.push_back(std::to_string(i));
      *train = ReadIdxFolder(data, DatasetPart::kTrain, names);
      *test = ReadIdxFolder(data, DatasetPart::kTest, names);
    }
  }
};

}  // namespace edgenas
