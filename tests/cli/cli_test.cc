// End-to-end checks of the `edgenas` executable: output, JSON and exit codes.
#include <gtest/gtest.h>

#include "test_util.h"
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <vector>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_util.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"

namespace {

using edgenas::ReadFile;

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

Result RunEdgenas(const std::string& arguments) {
  // ctest runs tests as parallel processes: each call gets files of its own.
  static int calls = 0;
  const std::string stem = edgenas::testing::UniqueTempPath("edgenas_") + std::to_string(::getpid()) + "_" + std::to_string(++calls);
  const std::string out = stem + ".out";
  const std::string err = stem + ".err";
  const std::string command = std::string(EDGENAS_BINARY) + " " + arguments + " >" + out + " 2>" + err;
  const int status = std::system(command.c_str());
  Result result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out), ReadFile(err)};
  std::remove(out.c_str());
  std::remove(err.c_str());
  return result;
}

TEST(Cli, DescribePrintsLayersAndTotals) {
  const Result r = RunEdgenas("arch describe --space ofa_mbv3_w1.0 r160-k33.33.33.33.33-e33.33.33.33.33");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("total       63,240,528 MACs (63.24 M), 3,410,792 params (3.411 M)"), std::string::npos)
      << r.out;
  // The last block, checked by hand: expand 160*480*25 + depthwise 480*9*25 + SE 2*480*120
  // + project 480*160*25 = 4,063,200 MACs.
  const size_t row = r.out.find("\ns4.b1 ");
  ASSERT_NE(row, std::string::npos) << r.out;
  std::istringstream fields(r.out.substr(row + 1, r.out.find('\n', row + 1) - row - 1));
  std::vector<std::string> tokens{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
  EXPECT_EQ(tokens, (std::vector<std::string>{"s4.b1", "mbconv", "5x5x160", "5x5x160", "3", "1", "3", "480", "yes",
                                              "hswish", "yes", "4,063,200", "275,960", "27.8", "KB"}));
}

TEST(Cli, DescribeJsonHasEveryLayer) {
  const Result r = RunEdgenas("arch describe --json --space nas_bench_macro 22212220");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["arch"], "22212220");
  EXPECT_EQ(json["total"]["params"], 1985514);  // the benchmark's value
  EXPECT_EQ(json["total"]["macs"], 85164544);
  ASSERT_EQ(json["layers"].size(), 1u + 8u + 3u);
  EXPECT_EQ(json["layers"][1]["op"], "mbconv");
  EXPECT_EQ(json["layers"][1]["mid_channels"], 192);
  EXPECT_EQ(json["layers"][8]["op"], "identity");
}

TEST(Cli, DescribeAddsDeviceCosts) {
  const Result r = RunEdgenas(
      "arch describe --json --device note10 --space ofa_mbv3_w1.2 r192-k33.535.7535.333.335-e34.643.6333.436.666");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_NEAR(json["total"]["cost"]["latency@note10"].get<double>(), 24.9129, 1e-4);  // the reference value
  EXPECT_EQ(json["units"]["cost"]["latency@note10"], "ms");
  EXPECT_GT(json["layers"][0]["cost"]["latency@note10"].get<double>(), 0.0);

  const Result unknown = RunEdgenas("arch describe --device note11 --space nas_bench_macro 22212220");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err,
            "unknown device 'note11' (did you mean 'note10'?): there is no hw_profiles/note11/profile.yaml "
            "(devices: eyeriss, fpga, host_cpu_example, host_cpu_ort, jetson_tx2, note10, pixel1_proxyless, pixel3, raspberry_pi4)\n");
}

// The total is the network's cost: with host_cpu_example's per-network
// constant at 160 px, not just the sum of the layers.
TEST(Cli, DescribeTotalsIncludeThePerNetworkConstant) {
  const std::string arch = "r160-k33.535.7535.333.335-e34.643.6333.436.666";
  const Result r = RunEdgenas("arch describe --json --device host_cpu_example --space ofa_mbv3_w1.0 " + arch);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  double layers = 0;
  for (const auto& layer : json["layers"]) layers += layer["cost"]["latency@host_cpu_example"].get<double>();
  EXPECT_NEAR(json["total"]["cost"]["latency@host_cpu_example"].get<double>() - layers, 1.6057738408538187, 1e-9);
  const Result text = RunEdgenas("arch describe --device host_cpu_example --space ofa_mbv3_w1.0 " + arch);
  EXPECT_NE(text.out.find(" + per-network constant 1.6058)"), std::string::npos) << text.out;
}

TEST(Cli, NegativeSeedsAreRefused) {
  const Result r = RunEdgenas("arch sample --space fbnet -n 2 --seed -1");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, ProfileListShowsTheShippedProfiles) {
  const Result r = RunEdgenas("profile list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("jetson_tx2       edge_gpu   fbnet, fbnet_cifar100        energy (mJ), latency (ms)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("note10           phone      ofa_mbv3_w1.2                latency (ms)"), std::string::npos);
}

TEST(Cli, ProfileFitWritesAProfileThatCostsTheSpace) {
  // 300 networks at r192 timed with the Note10 table: a device that only times whole networks.
  const std::string folder = edgenas::testing::UniqueTempPath("cli_fit");
  const std::string csv = folder + ".csv";
  std::filesystem::remove_all(folder);
  {
    const edgenas::SearchSpace space = edgenas::LoadSpace("ofa_mbv3_w1.2");
    const edgenas::LutCostModel note10(space, edgenas::LoadBuiltinProfile("note10"), "latency", {{192}});
    edgenas::Rng rng(4);
    std::ofstream out(csv);
    out << "arch,latency_ms\n" << std::setprecision(17);
    for (int i = 0; i < 300; ++i) {
      edgenas::Genome g = space.Sample(rng);
      g.genes[0] = 8;  // resolution 192
      out << space.ToString(g) << "," << note10.Cost(g) << "\n";
    }
  }
  const Result fit = RunEdgenas("profile fit --space ofa_mbv3_w1.2 --data " + csv + " --device fitted --out " + folder);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("5-fold cross-validation: mean abs error 0.00%"), std::string::npos) << fit.out;
  const Result again = RunEdgenas("profile fit --space ofa_mbv3_w1.2 --data " + csv + " --device fitted --out " + folder);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.err, folder + "/fitted already holds a profile; pass --replace to overwrite it\n");

  std::ofstream(csv) << "arch,latency_ms\nr192-k33.33.33.33.33-e33.33.33.33.3x,1.0\n";
  const Result bad = RunEdgenas("profile fit --space ofa_mbv3_w1.2 --data " + csv + " --device x --out " + folder);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.rfind(csv + ":2: arch 'r192-k33.33.33.33.33-e33.33.33.33.3x' for space 'ofa_mbv3_w1.2'", 0), 0u)
      << bad.err;
}

TEST(Cli, SampleIsSeededAndValid) {
  const Result a = RunEdgenas("arch sample --space fbnet -n 4 --seed 5");
  const Result b = RunEdgenas("arch sample --space fbnet -n 4 --seed 5");
  const Result c = RunEdgenas("arch sample --space fbnet -n 4 --seed 6");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  std::istringstream lines(a.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.size(), 22u);
    EXPECT_EQ(RunEdgenas("arch describe --space fbnet " + line).exit_code, 0);
    ++count;
  }
  EXPECT_EQ(count, 4);
}

TEST(Cli, SpacesAndSpaceShow) {
  const Result list = RunEdgenas("spaces");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const char* name : {"ofa_mbv3_w1.0", "ofa_mbv3_w1.2", "fbnet", "fbnet_cifar100", "proxylessnas_mobile",
                           "nas_bench_macro"}) {
    EXPECT_NE(list.out.find(name), std::string::npos) << name;
  }
  const Result show = RunEdgenas("space show nas_bench_macro");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("size        6,561 genomes, 3,969 distinct networks"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("0=identity 1=mb3_k3 2=mb6_k5"), std::string::npos) << show.out;
}

TEST(Cli, BadInputExitsTwoWithOneLine) {
  const Result arch = RunEdgenas("arch describe --space nas_bench_macro 2221");
  EXPECT_EQ(arch.exit_code, 2);
  EXPECT_EQ(arch.err, "arch '2221' for space 'nas_bench_macro': expected 8 digits, one operator per layer; got 4\n");

  const std::string recipe = EDGENAS_TEST_DATA "/recipes/broken/02_unknown_search_key.yaml";
  const Result check = RunEdgenas("recipe check " + recipe);
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_EQ(check.err, recipe + ":6:3: 'populaton_size' is not a known key (did you mean 'population_size'?)\n");

  EXPECT_EQ(RunEdgenas("arch frobnicate").exit_code, 2);
  EXPECT_EQ(RunEdgenas("").exit_code, 2);  // a command is required
}

TEST(Cli, RecipeCheckAcceptsAGoodRecipe) {
  const Result r = RunEdgenas("recipe check " EDGENAS_TEST_DATA "/recipes/good/macro_regularized.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("algorithm    regularized_evolution (seed 7)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("params <= 1500000 parameters"), std::string::npos) << r.out;
}

TEST(Cli, HelpDescribesEveryCommand) {
  const Result help = RunEdgenas("--help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"spaces", "space", "arch", "recipe"}) {
    EXPECT_NE(help.out.find(command), std::string::npos) << command;
  }
  const Result describe = RunEdgenas("arch describe --help");
  EXPECT_EQ(describe.exit_code, 0);
  EXPECT_NE(describe.out.find("--json"), std::string::npos);
  // The LibTorch commands run in edgenas-torch but are listed with their group.
  const Result predictor = RunEdgenas("predictor --help");
  EXPECT_EQ(predictor.exit_code, 0);
  for (const char* command : {"train", "study", "predict", "eval"}) {
    EXPECT_NE(predictor.out.find(std::string("\n  ") + command + " "), std::string::npos) << command << predictor.out;
  }
  const Result profile = RunEdgenas("profile --help");
  for (const char* command : {"measure", "validate", "import", "fit"}) {
    EXPECT_NE(profile.out.find(std::string("\n  ") + command + " "), std::string::npos) << command << profile.out;
  }
}

}  // namespace

TEST(CliPredictor, PredictsWithTheShippedOnceForAllPredictor) {
  const Result r = RunEdgenas(
      "predictor predict ofa_mbv3_w1.2 r192-k33.535.7535.333.335-e34.643.6333.436.666 "
      "'{\"ks\":[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3],\"e\":[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3],"
      "\"d\":[2,2,2,2,2],\"r\":[160]}'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "r192-k33.535.7535.333.335-e34.643.6333.436.666  81.8084%\n"
            "r160-k33.33.33.33.33-e33.33.33.33.33  75.3119%\n");
}

TEST(CliPredictor, EvaluatesAgainstMeasuredAccuracies) {
  // The reference values themselves: no error, perfect ranking, no ridge (imported predictor).
  const Result r = RunEdgenas("predictor eval ofa_mbv3_w1.2 --data " + std::string(EDGENAS_TEST_DATA) +
                              "/accuracy/ofa_reference.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  4 networks                               MLP     ridge\n"
                       "  RMSE (percentage points)               0.000       n/a\n"
                       "  Kendall tau                           1.0000       n/a\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(no ridge baseline: the predictor was not trained by edgenas)"), std::string::npos);
}

TEST(CliPredictor, ImportRoundTripsAndChecksTheWeights) {
  const std::string folder = edgenas::testing::UniqueTempPath("edgenas_import_") + std::to_string(::getpid());
  std::filesystem::remove_all(folder);
  const std::string weights = edgenas::DataRoot() + "/predictors/trained/ofa_mbv3_w1.2/mlp_0.pt";
  Result r = RunEdgenas("predictor import " + weights + " --space ofa_mbv3_w1.0 --out " + folder);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, folder + ": space ofa_mbv3_w1.0, encoding ofa_mbv3, 128 features, hidden layers 400x400x400\n");
  r = RunEdgenas("predictor predict " + folder + " r160-k33.33.33.33.33-e33.33.33.33.33");
  EXPECT_EQ(r.out, "r160-k33.33.33.33.33-e33.33.33.33.33  75.3119%\n");
  r = RunEdgenas("predictor import " + weights + " --space ofa_mbv3_w1.0 --out " + folder);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, folder + " already holds a predictor (pass --replace to overwrite it)\n");
  // The weights must fit the space: NAS-Bench-Macro has 24 features, not 128.
  r = RunEdgenas("predictor import " + weights + " --space nas_bench_macro --out " + folder + "_macro");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "the MLP takes 128 inputs but space 'nas_bench_macro' with encoding one_hot has 24 features\n");
  EXPECT_FALSE(std::filesystem::exists(folder + "_macro"));
}
