#include "accuracy/torch_state_dict.h"

#include <gtest/gtest.h>

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
