#include "job/job.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "cost/lut_cost_model.h"
#include "common/file_util.h"
#include "common/text.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

const std::string kRecipes = EDGENAS_TEST_DATA "/recipes";

// Every file in recipes/broken holds one fault; its first line "# expect: ..."
// is the exact message ({file}: the file's path, {dir}: its folder). Some
// faults show only when the job loads what the recipe names.
TEST(Recipe, BrokenRecipesGiveExactErrors) {
  const std::vector<std::string> paths = testing::FilesIn(kRecipes + "/broken");
  ASSERT_GE(paths.size(), 15u);
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    const std::string expected = testing::ExpectedErrorOf(path);
    ASSERT_FALSE(expected.empty()) << "first line must be '# expect: <message>'";
    EXPECT_EQ(testing::ErrorOf([&] { Job job(LoadRecipe(path)); }), expected);
  }
}

TEST(Recipe, ReadsEveryFieldWithDefaults) {
  const Recipe r = LoadRecipe(kRecipes + "/good/macro_regularized.yaml");
  EXPECT_EQ(r.job, "macro_small");
  EXPECT_EQ(r.space, "nas_bench_macro");
  EXPECT_EQ(r.seed, 7u);
  EXPECT_EQ(r.search.algorithm, SearchAlgorithm::kRegularizedEvolution);
  EXPECT_EQ(r.search.population_size, 50);
  EXPECT_EQ(r.search.generations, 20);
  EXPECT_EQ(r.search.tournament_size, 10);
  EXPECT_DOUBLE_EQ(r.search.mutation_probability, 0.05);  // regularized evolution's default
  ASSERT_EQ(r.objectives.size(), 1u);
  EXPECT_EQ(r.objectives[0].metric.ToString(), "macs");
  EXPECT_FALSE(r.objectives[0].maximize);
  ASSERT_EQ(r.constraints.size(), 2u);
  EXPECT_EQ(r.constraints[0].metric.kind, Metric::Kind::kParams);
  EXPECT_DOUBLE_EQ(*r.constraints[0].max, 1.5e6);
  EXPECT_FALSE(r.constraints[0].min.has_value());
  EXPECT_EQ(r.constraints[1].metric.ToString(), "peak_memory");
  EXPECT_EQ(r.output_dir, "results/macro_small");
  EXPECT_TRUE(r.predictor.empty());
  EXPECT_TRUE(r.devices.empty());
  EXPECT_FALSE(r.export_settings.has_value());
}

TEST(Recipe, SpacePathsAreRelativeToTheRecipe) {
  const Recipe r = LoadRecipe(kRecipes + "/good/user_space_nsga2.yaml");
  EXPECT_EQ(fs::canonical(r.space), fs::canonical(EDGENAS_TEST_DATA "/../../space/spaces/ofa_mbv3_w1.0.yaml"));
  EXPECT_EQ(r.search.algorithm, SearchAlgorithm::kNsga2);
  EXPECT_EQ(r.resolutions, (std::vector<int>{160, 176}));
  EXPECT_DOUBLE_EQ(r.search.parent_ratio, 0.5);
  EXPECT_DOUBLE_EQ(r.search.mutation_probability, 0.1);
  ASSERT_EQ(r.objectives.size(), 2u);
  EXPECT_DOUBLE_EQ(*r.constraints[0].min, 3e6);
  EXPECT_DOUBLE_EQ(*r.constraints[0].max, 6e6);
  EXPECT_EQ(r.output_dir, "out/edgenas-test-output");
  ASSERT_TRUE(r.export_settings.has_value());
  EXPECT_EQ(r.export_settings->epochs, 2);
  EXPECT_EQ(r.export_settings->quantization, Quantization::kInt8Qat);
}

TEST(Recipe, DeviceMetricsNameShippedProfiles) {
  const Recipe r = LoadRecipe(kRecipes + "/good/ofa_note10_latency.yaml");
  EXPECT_EQ(r.devices, (std::vector<std::string>{"note10"}));
  EXPECT_EQ(r.objectives[0].metric.kind, Metric::Kind::kLatency);
  EXPECT_STREQ(r.objectives[0].metric.Unit(), "ms");
  EXPECT_EQ(r.resolutions, (std::vector<int>{160, 176, 192, 208, 224}));
  EXPECT_TRUE(r.interpolate_missing_costs.empty());
  EXPECT_TRUE(Job(r).warnings().empty());
}

// latency_int8@<device> is the int8 model's latency, from the profile's own
// metric: it prices networks differently from the fp32 latency.
TEST(Recipe, Int8LatencyIsTheProfilesLatencyInt8Metric) {
  const Recipe r = LoadRecipe(kRecipes + "/good/small_input_int8_latency.yaml");
  ASSERT_EQ(r.objectives.size(), 1u);
  EXPECT_EQ(r.objectives[0].metric.kind, Metric::Kind::kLatencyInt8);
  EXPECT_EQ(r.objectives[0].metric.ToString(), "latency_int8@host_cpu_ort");
  EXPECT_STREQ(r.objectives[0].metric.Unit(), "ms");
  const Job job(r);
  ASSERT_TRUE(job.cost_models().count("latency_int8@host_cpu_ort"));
  ASSERT_TRUE(job.cost_models().count("latency@host_cpu_ort"));  // the device's fp32 latency is reported beside it
  Rng rng(4);
  int differ = 0;
  for (int i = 0; i < 20; ++i) {
    const Genome g = job.space().Sample(rng);
    const double int8 = job.cost_models().at("latency_int8@host_cpu_ort")->Cost(g);
    EXPECT_GT(int8, 0);
    differ += int8 != job.cost_models().at("latency@host_cpu_ort")->Cost(g);
  }
  EXPECT_EQ(differ, 20);
}

// Width 1.0 has none of the Note10 table's keys; the recipe accepts estimates
// for that device, and the warning says how many and shows one.
TEST(Recipe, InterpolatedCostsComeWithAWarning) {
  const Job job(LoadRecipe(kRecipes + "/good/ofa_w10_note10_interpolated.yaml"));
  EXPECT_EQ(job.recipe().interpolate_missing_costs, (std::vector<std::string>{"note10"}));
  ASSERT_EQ(job.warnings().size(), 1u);
  EXPECT_EQ(job.warnings()[0],
            "latency@note10: 192 table entries are estimated from neighbours in channel count, e.g. "
            "AvgPool2D-input:5x5x960-output:1x1x960 (resolution 160) = 0.008483 ms from "
            "AvgPool2D-input:5x5x1152-output:1x1x1152");
  EXPECT_EQ(job.cost_models().at("latency@note10")->estimated().size(), 192u);
}

TEST(Recipe, MissingFileIsAClearError) {
  EXPECT_EQ(testing::ErrorOf([] { LoadRecipe("/nonexistent/recipe.yaml"); }),
            "/nonexistent/recipe.yaml: cannot open file");
}

// Metrics are told apart by name, with the device after '@'.
TEST(Recipe, MetricKindNamesRoundTrip) {
  for (const char* name : {"accuracy", "macs", "params", "peak_memory", "latency", "energy"}) {
    Metric::Kind kind;
    ASSERT_TRUE(StringToMetricKind(name, &kind)) << name;
    EXPECT_STREQ(MetricKindToString(kind), name);
  }
  Metric::Kind unused;
  EXPECT_FALSE(StringToMetricKind("flops", &unused));
  EXPECT_EQ((Metric{Metric::Kind::kLatency, "note10"}).ToString(), "latency@note10");
  for (const char* name : {"int8_ptq", "int8_qat", "none"}) {
    Quantization q;
    ASSERT_TRUE(StringToQuantization(name, &q)) << name;
    EXPECT_STREQ(QuantizationToString(q), name);
  }
}

// The fingerprint is of the file's bytes, taken when it is read: a checkpoint
// compares it to refuse resuming with an edited recipe.
TEST(Recipe, FingerprintIsOfTheFileBytes) {
  const std::string path = kRecipes + "/good/macro_regularized.yaml";
  EXPECT_EQ(LoadRecipe(path).fingerprint, Fingerprint(ReadFile(path)));
}

TEST(Recipe, AlgorithmNamesRoundTrip) {
  for (const char* name : {"constrained_evolution", "regularized_evolution", "nsga2", "random", "exhaustive"}) {
    SearchAlgorithm algorithm;
    ASSERT_TRUE(StringToSearchAlgorithm(name, &algorithm));
    EXPECT_STREQ(SearchAlgorithmToString(algorithm), name);
  }
  SearchAlgorithm unused;
  EXPECT_FALSE(StringToSearchAlgorithm("nsga3", &unused));
}

}  // namespace
}  // namespace edgenas
