#include "accuracy/torch_state_dict.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

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
