#include "datasets/image_dataset.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"

namespace edgenas {

namespace {

// A decompressed dataset file is at most this big (CIFAR-10's training set is
// 150 MB): a gzip bomb stops here instead of filling memory.
constexpr size_t kMaxInflatedBytes = size_t{1} << 30;

// The file's bytes, inflated if it is gzip'd (it starts with 1f 8b).
std::string ReadMaybeGzipped(const std::string& path) {
  std::string packed = ReadFile(path);
  if (packed.size() < 2 || static_cast<uint8_t>(packed[0]) != 0x1f || static_cast<uint8_t>(packed[1]) != 0x8b) {
    return packed;
  }
  z_stream stream{};
  EDGENAS_THROW_IF_NOT_FMT(inflateInit2(&stream, 15 + 16) == Z_OK, "{}: cannot start zlib", path);
  stream.next_in = reinterpret_cast<Bytef*>(packed.data());
  stream.avail_in = static_cast<uInt>(packed.size());
  std::string out;
  int status = Z_OK;
  while (status == Z_OK) {
    const size_t done = out.size();
    if (done >= kMaxInflatedBytes) break;
    out.resize(std::min(kMaxInflatedBytes, std::max<size_t>(done * 2, size_t{1} << 20)));
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + done);
    stream.avail_out = static_cast<uInt>(out.size() - done);
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(out.size() - stream.avail_out);
  }
  inflateEnd(&stream);
  EDGENAS_THROW_IF_NOT_FMT(status != Z_OK, "{}: inflates to more than {} bytes; not a dataset file", path,
                           kMaxInflatedBytes);
  EDGENAS_THROW_IF_NOT_FMT(status == Z_STREAM_END, "{}: truncated or damaged gzip data ({})", path,
                           stream.msg != nullptr ? stream.msg : "unexpected end");
  return out;
}

uint32_t BigEndian32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

// The IDX header: magic, then one 32-bit size per dimension. Returns the sizes.
std::vector<uint32_t> ReadIdxHeader(const std::string& path, const std::string& bytes, uint32_t magic,
                                    const char* what) {
  const size_t dims = magic & 0xff;
  EDGENAS_THROW_IF_NOT_FMT(bytes.size() >= 4 + 4 * dims && BigEndian32(bytes, 0) == magic,
                           "{}: not an IDX {} file (its magic number should be 0x{:08x})", path, what, magic);
  std::vector<uint32_t> sizes(dims);
  uint64_t payload = 1;
  for (size_t d = 0; d < dims; ++d) {
    sizes[d] = BigEndian32(bytes, 4 + 4 * d);
    if (__builtin_mul_overflow(payload, uint64_t{sizes[d]}, &payload)) payload = UINT64_MAX / 2;
  }
  const uint64_t expected = 4 + 4 * dims + payload;
  EDGENAS_THROW_IF_NOT_FMT(bytes.size() == expected, "{}: {} bytes where its header promises {}{}", path,
                           bytes.size(), expected, bytes.size() < expected ? " (truncated?)" : "");
  return sizes;
}

void CheckLabels(const ImageDataset& data, const std::string& path) {
  const size_t classes = data.class_names.size();
  for (size_t i = 0; i < data.labels.size(); ++i) {
    EDGENAS_THROW_IF_NOT_FMT(data.labels[i] < classes, "{}: label {} of image {} is not below the {} classes", path,
                             data.labels[i], i, classes);
  }
}

std::vector<std::string> FashionMnistClasses() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

std::vector<std::string> Cifar10Classes() {
  return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
}

// `folder`/`name`, or `folder`/`name`.gz if only that exists.
std::string PlainOrGzipped(const std::string& folder, const std::string& name) {
  const std::string plain = folder + "/" + name;
  if (PathExists(plain) || !PathExists(plain + ".gz")) return plain;
  return plain + ".gz";
}

}  // namespace

ImageDataset ReadIdx(const std::string& images_path, const std::string& labels_path,
                     std::vector<std::string> class_names) {
  EDGENAS_THROW_IF_NOT_FMT(!class_names.empty() && class_names.size() <= 256, "{}: 1 to 256 classes, got {}",
                           labels_path, class_names.size());
  ImageDataset data;
  data.class_names = std::move(class_names);
  std::string images = ReadMaybeGzipped(images_path);
  const std::vector<uint32_t> shape = ReadIdxHeader(images_path, images, 0x00000803, "image");
  std::string labels = ReadMaybeGzipped(labels_path);
  const std::vector<uint32_t> count = ReadIdxHeader(labels_path, labels, 0x00000801, "label");
  EDGENAS_THROW_IF_NOT_FMT(shape[0] == count[0], "{} holds {} images but {} holds {} labels", images_path, shape[0],
                           labels_path, count[0]);
  EDGENAS_THROW_IF_NOT_FMT(shape[0] > 0 && shape[1] > 0 && shape[2] > 0, "{}: no images", images_path);
  data.height = static_cast<int>(shape[1]);
  data.width = static_cast<int>(shape[2]);
  data.pixels.assign(images.begin() + 16, images.end());
  data.labels.assign(labels.begin() + 8, labels.end());
  CheckLabels(data, labels_path);
  return data;
}

ImageDataset ReadCifar10(const std::vector<std::string>& batch_paths) {
  constexpr size_t kRecord = 1 + 3 * 32 * 32;
  ImageDataset data;
  data.channels = 3;
  data.height = 32;
  data.width = 32;
  data.class_names = Cifar10Classes();
  for (const std::string& path : batch_paths) {
    const std::string bytes = ReadMaybeGzipped(path);
    EDGENAS_THROW_IF_NOT_FMT(!bytes.empty() && bytes.size() % kRecord == 0,
                             "{}: {} bytes is not a whole number of CIFAR-10 records of {} bytes (label, then 3x32x32 "
                             "pixels)",
                             path, bytes.size(), kRecord);
    const size_t first = data.labels.size();
    for (size_t at = 0; at < bytes.size(); at += kRecord) {
      data.labels.push_back(static_cast<uint8_t>(bytes[at]));
      data.pixels.insert(data.pixels.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at + 1),
                         bytes.begin() + static_cast<std::ptrdiff_t>(at + kRecord));
    }
    for (size_t i = first; i < data.labels.size(); ++i) {
      EDGENAS_THROW_IF_NOT_FMT(data.labels[i] < 10, "{}: record {} has label {}; CIFAR-10 labels are 0 to 9", path,
                               i - first, data.labels[i]);
    }
  }
  return data;
}

std::string FashionMnistFolder() {
  const char* folder = std::getenv("EDGENAS_FASHION_MNIST");
  return folder != nullptr && *folder != '\0' ? folder : "/usr/share/datasets/fashion-mnist";
}

ImageDataset ReadFashionMnist(const std::string& folder, DatasetPart part) {
  EDGENAS_THROW_IF_NOT_FMT(IsFolder(folder),
                           "{}: no such folder; Fashion-MNIST comes with Debian's dataset-fashion-mnist package "
                           "(apt-get install dataset-fashion-mnist)",
                           folder);
  return ReadIdxFolder(folder, part, FashionMnistClasses());
}

ImageDataset ReadIdxFolder(const std::string& folder, DatasetPart part, std::vector<std::string> class_names) {
  const std::string prefix = part == DatasetPart::kTrain ? "train" : "t10k";
  return ReadIdx(PlainOrGzipped(folder, prefix + "-images-idx3-ubyte"),
                 PlainOrGzipped(folder, prefix + "-labels-idx1-ubyte"), std::move(class_names));
}

ImageDataset ReadCifar10Folder(const std::string& folder, DatasetPart part) {
  std::vector<std::string> batches;
  if (part == DatasetPart::kTrain) {
    for (int i = 1; i <= 5; ++i) batches.push_back(PlainOrGzipped(folder, fmt::format("data_batch_{}.bin", i)));
  } else {
    batches.push_back(PlainOrGzipped(folder, "test_batch.bin"));
  }
  return ReadCifar10(batches);
}

DatasetSplit SplitForValidation(int64_t count, int64_t validation_count, uint64_t seed) {
  EDGENAS_THROW_IF_NOT_FMT(validation_count > 0 && validation_count < count,
                           "a validation set of {} images cannot be carved from {}", validation_count, count);
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t{0});
  Rng rng(seed);
  rng.Shuffle(&order);
  DatasetSplit split;
  split.validation.assign(order.begin(), order.begin() + validation_count);
  split.train.assign(order.begin() + validation_count, order.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.train.begin(), split.train.end());
  return split;
}

}  // namespace edgenas
