// `profile import` for the formats copied byte for byte: ofa and proxyless.
#include "cost/profile_import.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/file_util.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

PublishedTableImport Request(const std::string& format, const std::string& input, const std::string& device,
                             const std::string& space) {
  PublishedTableImport request;
  request.format = format;
  request.input = input;
  request.device = device;
  request.space = space;
  return request;
}

std::string FreshFolder(const std::string& name) {
  const std::string folder = edgenas::testing::UniqueTempPath(name);
  fs::remove_all(folder);
  return folder;
}

TEST(ProfileImport, OfaFolderRoundTrips) {
  const std::string out = FreshFolder("import_ofa");
  const PublishedTableImport request =
      Request("ofa", BuiltinProfileFolder("note10") + "/tables", "my_note10", "ofa_mbv3_w1.2");
  ImportPublishedTables(request, out, false);
  const HardwareProfile imported = LoadHardwareProfile(out + "/my_note10");
  const HardwareProfile shipped = LoadBuiltinProfile("note10");
  EXPECT_EQ(imported.metrics.at("latency").by_resolution, shipped.metrics.at("latency").by_resolution);
  EXPECT_EQ(ReadFile(out + "/my_note10/tables/192_lookup_table.yaml"),
            ReadFile(BuiltinProfileFolder("note10") + "/tables/192_lookup_table.yaml"));
  EXPECT_FALSE(fs::exists(out + "/.importing"));
  EXPECT_EQ(testing::ErrorOf([&] { ImportPublishedTables(request, out, false); }),
            out + "/my_note10 already holds a profile");
}

TEST(ProfileImport, TablesThatCannotCostTheSpaceAreNotKept) {
  const std::string out = FreshFolder("import_mismatch");
  // Note10's w1.2 tables do not fit the w1.0 space: the keys' channel counts differ.
  const PublishedTableImport request =
      Request("ofa", BuiltinProfileFolder("note10") + "/tables", "wrong", "ofa_mbv3_w1.0");
  const std::string error = testing::ErrorOf([&] { ImportPublishedTables(request, out, false); });
  EXPECT_EQ(error.rfind("hardware profile 'wrong' cannot cost space 'ofa_mbv3_w1.0': ", 0), 0u) << error;
  EXPECT_FALSE(fs::exists(out + "/wrong"));
  EXPECT_FALSE(fs::exists(out + "/.importing"));
}

// ProxylessNAS's table: a network whose blocks are all skipped but the first of
// each stage costs exactly the sum of these ten published entries.
TEST(ProfileImport, ProxylessTableCostsTheSpace) {
  const std::string out = FreshFolder("import_proxyless");
  const PublishedTableImport request = Request(
      "proxyless", BuiltinProfileFolder("pixel1_proxyless") + "/tables/224_lookup_table.yaml", "pixel1",
      "proxylessnas_mobile");
  ImportPublishedTables(request, out, false);
  const HardwareProfile profile = LoadHardwareProfile(out + "/pixel1");
  const auto& table = profile.metrics.at("latency").by_resolution.at(224);
  double expected = 0;
  for (const char* key : {
           "Conv-input:224x224x3-output:112x112x32",
           "expanded_conv-input:112x112x32-output:112x112x16-expand:1-kernel:3-stride:1-idskip:0",
           "expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:3-stride:2-idskip:0",
           "expanded_conv-input:56x56x24-output:28x28x40-expand:3-kernel:3-stride:2-idskip:0",
           "expanded_conv-input:28x28x40-output:14x14x80-expand:3-kernel:3-stride:2-idskip:0",
           "expanded_conv-input:14x14x80-output:14x14x96-expand:3-kernel:3-stride:1-idskip:0",
           "expanded_conv-input:14x14x96-output:7x7x192-expand:3-kernel:3-stride:2-idskip:0",
           "expanded_conv-input:7x7x192-output:7x7x320-expand:3-kernel:3-stride:1-idskip:0",
           "Conv_1-input:7x7x320-output:7x7x1280",
           "Logits-input:7x7x1280-output:1000",
       }) {
    expected += table.at(key);
  }
  const SearchSpace space = LoadSpace("proxylessnas_mobile");
  const LutCostModel model(space, profile, "latency");
  EXPECT_DOUBLE_EQ(model.Cost(space.Parse("066606660666066606660")), expected);
}

// A device name never reaches outside the profiles' root, and a failed import
// leaves the profiles beside it as they were.
TEST(ProfileImport, DeviceNamesStayInsideTheRootAndFailuresTouchNothing) {
  const std::string out = edgenas::testing::UniqueTempPath("import_safety_") + std::to_string(::getpid());
  std::filesystem::remove_all(out);
  WriteFileAtomically(out + "/other/profile.yaml", "kept");
  PublishedTableImport r;
  r.format = "ofa";
  r.input = DataRoot() + "/hw_profiles/note10/tables";
  r.space = "ofa_mbv3_w1.2";
  for (const std::string device : {".", "..", "../escaped"}) {
    r.device = device;
    EXPECT_EQ(testing::ErrorOf([&] { ImportPublishedTables(r, out, true); }).rfind("device name '" + device, 0), 0u);
  }
  r.device = "mine";
  r.space = "ofa_mbv3_w1.0";  // the Note10 tables cannot cost it: the import fails after writing
  EXPECT_NE(testing::ErrorOf([&] { ImportPublishedTables(r, out, true); }), "(no error)");
  EXPECT_EQ(ReadFile(out + "/other/profile.yaml"), "kept");
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out)) entries += entry.path().filename() != "";
  EXPECT_EQ(entries, 1u);  // nothing of the failed import is left
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace edgenas
