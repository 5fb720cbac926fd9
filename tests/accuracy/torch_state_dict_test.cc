#include "accuracy/torch_state_dict.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/file_util.h"
#include "accuracy/accuracy_predictor.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::ErrorOf;

const std::string kData = std::string(EDGENAS_TEST_DATA) + "/torch/";

TEST(TorchStateDict, ReadsAModuleStateDictSavedByPython) {
  const auto state = ReadTorchStateDict(kData + "module_state_dict.pt");
  ASSERT_EQ(state.size(), 4u);
  EXPECT_EQ(state.at("0.weight").shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(state.at("2.bias").shape, (std::vector<int64_t>{1}));
  // Python: m(x) for these inputs, with torch.manual_seed(0) weights.
  const Mlp mlp = Mlp::FromStateDict(state, "module_state_dict.pt");
  EXPECT_NEAR(mlp.Forward({1, 0, 0}), 0.143688187, 1e-7);
  EXPECT_NEAR(mlp.Forward({0, 1, 1}), 0.124477983, 1e-7);
  EXPECT_NEAR(mlp.Forward({0.5, -2, 3}), 0.252787173, 1e-7);
}

TEST(TorchStateDict, FollowsStridesAndStorageOffsets) {
  const auto state = ReadTorchStateDict(kData + "views.pt");
  EXPECT_EQ(state.at("t").shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(state.at("t").values, (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(state.at("s").values, (std::vector<float>{3, 4, 5, 6}));
}

TEST(TorchStateDict, ReadsOnceForAllsPublishedPredictor) {
  const auto state = ReadTorchStateDict(DataRoot() + "/predictors/trained/ofa_mbv3_w1.2/mlp_0.pt");
  EXPECT_EQ(state.at("0.weight").shape, (std::vector<int64_t>{400, 128}));
  EXPECT_EQ(state.at("2.weight").shape, (std::vector<int64_t>{400, 400}));
  EXPECT_EQ(state.at("6.weight").shape, (std::vector<int64_t>{1, 400}));
  EXPECT_EQ(state.at("6.bias").shape, (std::vector<int64_t>{1}));
}

TEST(TorchStateDict, RejectsWhatItCannotRead) {
  EXPECT_EQ(ErrorOf([] { ReadTorchStateDict(kData + "double.pt"); }),
            kData + "double.pt: tensor storage '0' is torch.DoubleStorage; edgenas reads float32 weights only");
  EXPECT_EQ(ErrorOf([] { ReadTorchStateDict(kData + "not_zip.pt"); }),
            kData + "not_zip.pt: cannot read as a zip-format PyTorch file: Not a zip archive");
  EXPECT_EQ(ErrorOf([] { ReadTorchStateDict(kData + "missing.pt"); }),
            kData + "missing.pt: cannot read as a zip-format PyTorch file: No such file");
}

// A zip-format file whose archive/data.pkl holds `pickle`.
std::string WritePickle(const std::string& name, const std::string& pickle) {
  const std::string path = testing::UniqueTempPath(name);
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(archive, nullptr);
  zip_source_t* source = zip_source_buffer(archive, pickle.data(), pickle.size(), 0);
  zip_file_add(archive, "archive/data.pkl", source, ZIP_FL_OVERWRITE);
  EXPECT_EQ(zip_close(archive), 0);  // copies the buffer before `pickle` goes
  return path;
}

// Hostile pickles: nesting 400,000 deep through the memo once overflowed the
// stack when the values were freed, and a list holding itself leaked (the
// sanitizer build's leak check sees it). Both are now plain errors.
TEST(TorchStateDict, DeepAndCyclicPicklesAreErrorsNotCrashes) {
  std::string deep("\x80\x02]q\x00", 5);  // PROTO 2, a list, memo[0] = it
  for (int i = 0; i < 400000; ++i) deep += std::string("]h\x00" "a" "q\x00", 6);  // a new list holding memo[0] becomes memo[0]
  deep += ".";
  const std::string deep_path = WritePickle("deep.pt", deep);
  EXPECT_EQ(ErrorOf([&] { ReadTorchStateDict(deep_path); }),
            deep_path + ": the file holds no dict (a state_dict was expected)");
  const std::string cyclic_path = WritePickle("cyclic.pt", std::string("\x80\x02]q\x00h\x00" "a.", 9));
  EXPECT_EQ(ErrorOf([&] { ReadTorchStateDict(cyclic_path); }),
            cyclic_path + ": the file holds no dict (a state_dict was expected)");
  std::string many = "\x80\x02";
  for (int i = 0; i < 1000001; ++i) many += "N";
  const std::string many_path = WritePickle("many.pt", many);
  EXPECT_EQ(ErrorOf([&] { ReadTorchStateDict(many_path); }),
            many_path + ": data.pkl holds more than 1000000 values; not a state_dict");
  for (const std::string& p : {deep_path, cyclic_path, many_path}) std::filesystem::remove(p);
}

// What WriteTorchStateDict writes reads back exactly, scalars and empty
// tensors included.
TEST(TorchStateDict, WrittenFilesReadBackExactly) {
  const std::vector<std::pair<std::string, FloatTensor>> tensors = {
      {"features.0.weight", {{2, 3, 1, 1}, {1.5f, -2.25f, 3e-8f, 4e20f, -0.0f, 6.0f}}},
      {"features.0.bias", {{2}, {0.125f, -7.0f}}},
      {"scale", {{}, {3.0f}}},
      {"empty", {{0, 4}, {}}},
  };
  const std::string path = testing::UniqueTempPath("written.pt");
  WriteTorchStateDict(path, tensors);
  const auto read = ReadTorchStateDict(path);
  ASSERT_EQ(read.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    EXPECT_EQ(read.at(name).shape, tensor.shape) << name;
    EXPECT_EQ(read.at(name).values, tensor.values) << name;
  }
  // The same tensors make the same bytes (no time stamps).
  const std::string bytes = ReadFile(path);
  sleep(1);
  WriteTorchStateDict(path, tensors);
  EXPECT_TRUE(ReadFile(path) == bytes);
  std::filesystem::remove(path);
  EXPECT_EQ(ErrorOf([&] { WriteTorchStateDict(path, {{"w", {{2, 2}, {1.0f}}}}); }),
            path + ": tensor 'w' has 1 values for its shape of 4");
  EXPECT_FALSE(std::filesystem::exists(path));
}

// Python reads them with torch.load(weights_only=True), the default since
// torch 2.6, in the order written. torch::pickle_save's files fail there.
TEST(TorchStateDict, PythonLoadsWrittenFilesWithWeightsOnly) {
  EDGENAS_REQUIRE_INSTALLED(testing::PythonTorchMissing());
  const std::string path = testing::UniqueTempPath("python.pt");
  WriteTorchStateDict(path, {{"b", {{2, 2}, {1.0f, 2.0f, 3.0f, 4.5f}}}, {"a", {{3}, {-1.0f, 0.5f, 0.25f}}}});
  const std::string command = "/usr/bin/python3 -c \"import torch; s = torch.load('" + path +
                              "', weights_only=True); print(' '.join('%s:%s:%g' % (k, tuple(v.shape), "
                              "v.sum().item()) for k, v in s.items()))\"";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[256] = {};
  ASSERT_NE(fgets(buffer, sizeof buffer, pipe), nullptr);
  ASSERT_EQ(pclose(pipe), 0);
  EXPECT_EQ(std::string(buffer), "b:(2, 2):10.5 a:(3,):-0.25\n");
  std::filesystem::remove(path);
}

TEST(TorchStateDict, MlpShapesMustChain) {
  auto state = ReadTorchStateDict(kData + "module_state_dict.pt");
  state["2.weight"].shape = {1, 5};
  state["2.weight"].values.resize(5);
  EXPECT_EQ(ErrorOf([&] { Mlp::FromStateDict(state, "m.pt"); }),
            "m.pt: '2.weight' takes 5 inputs but the layer before gives 4");
  state.erase("2.bias");
  EXPECT_EQ(ErrorOf([&] { Mlp::FromStateDict(state, "m.pt"); }), "m.pt: '2.weight' has no '2.bias'");
}

}  // namespace
}  // namespace edgenas
