#include "datasets/image_dataset.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::ErrorOf;
namespace fs = std::filesystem;

std::string BigEndian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string IdxImages(uint32_t count, uint32_t rows, uint32_t cols, const std::string& pixels) {
  return BigEndian(0x803) + BigEndian(count) + BigEndian(rows) + BigEndian(cols) + pixels;
}

std::string IdxLabels(const std::string& labels) {
  return BigEndian(0x801) + BigEndian(static_cast<uint32_t>(labels.size())) + labels;
}

std::string Gzip(const std::string& bytes) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, bytes.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

class ImageDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = testing::UniqueTempPath("image_dataset");
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = folder_ + "/" + name;
    WriteFileAtomically(path, bytes);
    return path;
  }
  std::string folder_;
};

const std::vector<std::string> kThree = {"a", "b", "c"};

TEST_F(ImageDatasetTest, ReadsIdxPlainAndGzipped) {
  const std::string pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // two 2x3 images
  for (const bool gzipped : {false, true}) {
    const auto wrap = [&](const std::string& b) { return gzipped ? Gzip(b) : b; };
    const ImageDataset d = ReadIdx(Write("i", wrap(IdxImages(2, 2, 3, pixels))), Write("l", wrap(IdxLabels({2, 0}))), kThree);
    EXPECT_EQ(d.count(), 2);
    EXPECT_EQ(d.channels, 1);
    EXPECT_EQ(d.height, 2);
    EXPECT_EQ(d.width, 3);
    EXPECT_EQ(d.labels, (std::vector<uint8_t>{2, 0}));
    EXPECT_EQ(d.image(1)[0], 7);
    EXPECT_EQ(d.image(1)[5], 12);
  }
}

TEST_F(ImageDatasetTest, BadIdxFilesAreNamedErrors) {
  const std::string pixels(12, '\1');
  const std::string images = Write("i", IdxImages(2, 2, 3, pixels));
  const std::string labels = Write("l", IdxLabels({1, 0}));
  const std::string swapped = Write("swapped", IdxLabels({1, 0}));
  EXPECT_EQ(ErrorOf([&] { ReadIdx(swapped, labels, kThree); }),
            swapped + ": not an IDX image file (its magic number should be 0x00000803)");
  const std::string truncated = Write("truncated", IdxImages(2, 2, 3, pixels.substr(0, 7)));
  EXPECT_EQ(ErrorOf([&] { ReadIdx(truncated, labels, kThree); }),
            truncated + ": 23 bytes where its header promises 28 (truncated?)");
  const std::string three_labels = Write("three", IdxLabels({1, 0, 2}));
  EXPECT_EQ(ErrorOf([&] { ReadIdx(images, three_labels, kThree); }),
            images + " holds 2 images but " + three_labels + " holds 3 labels");
  const std::string out_of_range = Write("range", IdxLabels({1, 3}));
  EXPECT_EQ(ErrorOf([&] { ReadIdx(images, out_of_range, kThree); }),
            out_of_range + ": label 3 of image 1 is not below the 3 classes");
  const std::string gz = Gzip(IdxImages(2, 2, 3, pixels));
  const std::string cut = Write("cut.gz", gz.substr(0, gz.size() - 10));
  EXPECT_EQ(ErrorOf([&] { ReadIdx(cut, labels, kThree); }).rfind(cut + ": truncated or damaged gzip data", 0), 0u);
  const std::string huge = Write("huge", BigEndian(0x803) + BigEndian(0xffffffff) + BigEndian(0xffffffff) +
                                             BigEndian(0xffffffff));
  EXPECT_NE(ErrorOf([&] { ReadIdx(huge, labels, kThree); }).find("where its header promises"), std::string::npos);
}

TEST_F(ImageDatasetTest, ReadsCifar10Records) {
  std::string batch;
  for (int r = 0; r < 3; ++r) {
    batch += static_cast<char>(r * 4);           // labels 0, 4, 8
    batch += std::string(3072, static_cast<char>(r + 1));
    batch[batch.size() - 1] = static_cast<char>(200);  // the last blue pixel
  }
  const ImageDataset d = ReadCifar10({Write("b1.bin", batch), Write("b2.bin", batch.substr(0, 3073))});
  ASSERT_EQ(d.count(), 4);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.image_bytes(), 3072);
  EXPECT_EQ(d.labels, (std::vector<uint8_t>{0, 4, 8, 0}));
  EXPECT_EQ(d.image(2)[0], 3);
  EXPECT_EQ(d.image(2)[3071], 200);
  EXPECT_EQ(d.class_names[8], "ship");
  const std::string odd = Write("odd.bin", batch.substr(0, 3000));
  EXPECT_EQ(ErrorOf([&] { ReadCifar10({odd}); }),
            odd + ": 3000 bytes is not a whole number of CIFAR-10 records of 3073 bytes (label, then 3x32x32 pixels)");
  std::string bad_label = batch.substr(0, 3073);
  bad_label[0] = 10;
  const std::string bad = Write("bad.bin", bad_label);
  EXPECT_EQ(ErrorOf([&] { ReadCifar10({bad}); }), bad + ": record 0 has label 10; CIFAR-10 labels are 0 to 9");
}

TEST(ImageDataset, ValidationSplitIsSeededDisjointAndWhole) {
  const DatasetSplit a = SplitForValidation(1000, 100, 7);
  const DatasetSplit b = SplitForValidation(1000, 100, 7);
  const DatasetSplit c = SplitForValidation(1000, 100, 8);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_NE(a.validation, c.validation);
  ASSERT_EQ(a.validation.size(), 100u);
  ASSERT_EQ(a.train.size(), 900u);
  std::vector<int64_t> all = a.train;
  all.insert(all.end(), a.validation.begin(), a.validation.end());
  std::sort(all.begin(), all.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(all[i], i);
  EXPECT_EQ(ErrorOf([] { SplitForValidation(10, 10, 0); }), "a validation set of 10 images cannot be carved from 10");
}

// The real Fashion-MNIST from Debian's dataset-fashion-mnist (setup.sh installs it).
TEST(ImageDataset, ReadsDebiansFashionMnist) {
  EDGENAS_REQUIRE_INSTALLED(PathExists(FashionMnistFolder())
                                ? ""
                                : "dataset-fashion-mnist is not installed (setup.sh installs it)");
  const ImageDataset test = ReadFashionMnist(FashionMnistFolder(), DatasetPart::kTest);
  ASSERT_EQ(test.count(), 10000);
  EXPECT_EQ(test.height, 28);
  EXPECT_EQ(test.width, 28);
  std::vector<int> per_class(10, 0);
  for (uint8_t label : test.labels) ++per_class[label];
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));  // the test set is balanced
  EXPECT_EQ(test.labels[0], 9);                       // the first test image is an ankle boot
  EXPECT_EQ(test.class_names[9], "Ankle boot");
}

}  // namespace
}  // namespace edgenas
