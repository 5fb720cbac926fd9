// report.html of a finished search (no export yet): every figure it shows is
// the number in summary.json, the Pareto panels hold the front and the budget,
// the recipe is shown escaped, and a broken file is named in the error. The
// page in a browser, with an export, is checked by tests/report/check_report_page.js
// (run from the export tests).
#include "job/job_report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "common/csv_reader.h"
#include "common/file_util.h"
#include "common/text.h"
#include "job/job.h"
#include "job/search_results.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

// A finished FBNet NSGA-II search (three objectives, a params budget) in a
// fresh folder, run from a copy of its recipe with markup in a comment.
class JobReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folder_ = new std::string(::testing::TempDir() + "/edgenas_job_report_" + std::to_string(::getpid()));
    fs::remove_all(*folder_);
    fs::create_directories(*folder_ + "/job");
    const std::string recipe = *folder_ + "/fbnet_nsga2.yaml";
    WriteFileAtomically(recipe, "# budgets <b>& co</b>\n" + ReadFile(EDGENAS_TEST_DATA "/search/fbnet_nsga2.yaml"));
    const Job job(LoadRecipe(recipe));
    Evaluator evaluator(job.space(), job.EvaluatorOptions());
    SearchEngine engine(job.space(), evaluator, job.SearchOptions());
    WriteSearchResults({job, evaluator, "test"}, engine.Run(), *folder_ + "/job");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*folder_);
    delete folder_;
  }
  static std::string JobFolder() { return *folder_ + "/job"; }

  static std::string* folder_;
};
std::string* JobReport::folder_ = nullptr;

TEST_F(JobReport, EveryFigureIsTheNumberInItsFileRoundedAsShown) {
  const std::string html = RenderJobReportHtml(JobFolder());
  const nlohmann::json summary = nlohmann::json::parse(ReadFile(JobFolder() + "/summary.json"));
  const std::regex figure(
      "<span class=\"figure\" data-file=\"([^\"]+)\" data-key=\"([^\"]+)\" data-value=\"([^\"]+)\""
      "(?: data-scale=\"([^\"]+)\")?>([^<]*)</span>");
  int figures = 0;
  std::set<std::string> keys;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), figure); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    ASSERT_EQ(m[1], "summary.json") << "only the search has run";
    const double expected = summary.at(nlohmann::json::json_pointer(m[2])).get<double>();
    EXPECT_EQ(std::stod(m[3]), expected) << m[2];
    std::string shown = m[5];
    shown.erase(std::remove(shown.begin(), shown.end(), ','), shown.end());
    const size_t point = shown.find('.');
    const int decimals = point == std::string::npos ? 0 : static_cast<int>(shown.size() - point - 1);
    EXPECT_NEAR(std::stod(shown), expected, 0.5 * std::pow(10.0, -decimals) * (1 + 1e-9)) << m[2] << ": " << m[5];
    keys.insert(m[2]);
    ++figures;
  }
  EXPECT_GE(figures, 6);
  for (const char* key : {"/best/macs", "/best/params", "/evaluations", "/generations", "/best/metrics/macs/value",
                          "/best/metrics/latency@pixel3/value", "/best/metrics/energy@jetson_tx2/value"}) {
    EXPECT_TRUE(keys.count(key)) << key;
  }
  EXPECT_NE(html.find("Not exported yet: <code>edgenas export " + JobFolder()), std::string::npos);
}

// Three objectives: every pair of them, then the first against the params
// budget; each panel holds the whole front, the chosen network once.
TEST_F(JobReport, ParetoPanelsHoldTheFrontTheChosenNetworkAndTheBudget) {
  const std::string html = RenderJobReportHtml(JobFolder());
  const CsvFile pareto = CsvFile::Read(JobFolder() + "/pareto.csv");
  const nlohmann::json summary = nlohmann::json::parse(ReadFile(JobFolder() + "/summary.json"));
  std::vector<std::string> panels;
  for (size_t at = html.find("<figure class=\"pareto\">"); at != std::string::npos;
       at = html.find("<figure class=\"pareto\">", at + 1)) {
    panels.push_back(html.substr(at, html.find("</figure>", at) - at));
  }
  ASSERT_EQ(panels.size(), 4u);
  const std::vector<std::string> titles = {">macs vs latency@pixel3<", ">macs vs energy@jetson_tx2<",
                                           ">latency@pixel3 vs energy@jetson_tx2<", ">macs vs params<"};
  for (size_t i = 0; i < panels.size(); ++i) {
    const std::string& p = panels[i];
    EXPECT_NE(p.find(titles[i]), std::string::npos) << i;
    size_t circles = 0;
    for (size_t at = p.find("<circle"); at != std::string::npos; at = p.find("<circle", at + 1)) ++circles;
    EXPECT_EQ(circles, pareto.rows().size()) << i;
    const size_t chosen = p.find("<g class=\"series\" data-label=\"chosen network\">");
    ASSERT_NE(chosen, std::string::npos);
    EXPECT_EQ(p.find("<title>" + summary["best"]["arch"].get<std::string>() + "\n", chosen),
              p.find("<title>", chosen));
    // Only the params panel crosses the budget.
    EXPECT_EQ(p.find("class=\"guide\" data-value=\"5000000\"") != std::string::npos, i == 3) << i;
  }
}

TEST_F(JobReport, RecipeAndNamesAreEscapedAndThePageIsSelfContained) {
  const std::string html = RenderJobReportHtml(JobFolder());
  EXPECT_NE(html.find("# budgets &lt;b&gt;&amp; co&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  for (const char* outside : {"<script", "src=", "href=", "@import", "url("}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
  // The network drawn block by block, one block per layer.
  size_t blocks = 0;
  for (size_t at = html.find("<g class=\"block\""); at != std::string::npos; at = html.find("<g class=\"block\"", at + 1)) {
    ++blocks;
  }
  const SearchSpace space = LoadSpace("fbnet");
  const nlohmann::json summary = nlohmann::json::parse(ReadFile(JobFolder() + "/summary.json"));
  EXPECT_EQ(blocks, space.Decode(space.Parse(summary["best"]["arch"].get<std::string>())).layers.size());
}

TEST_F(JobReport, TableWithoutAnExportListsThePredictionsAndTheFiles) {
  const std::string table = JobResultTable(JobFolder());
  const nlohmann::json summary = nlohmann::json::parse(ReadFile(JobFolder() + "/summary.json"));
  EXPECT_NE(table.find(fmt::format("| MACs | {} | | |", WithThousands(summary["best"]["macs"].get<long long>()))),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("test top-1"), std::string::npos);
  EXPECT_NE(table.find(JobFolder() + "/pareto.csv"), std::string::npos);
  EXPECT_EQ(table.find("model_int8.onnx"), std::string::npos);  // not written, not listed
}

TEST_F(JobReport, BrokenFilesAreNamedAndAFolderWithoutASearchIsRefused) {
  const std::string broken = *folder_ + "/broken";
  fs::create_directories(broken + "/export");
  fs::copy(JobFolder(), broken, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  WriteFileAtomically(broken + "/export/report.json", "{\"predicted\": ");
  EXPECT_EQ(testing::ErrorOf([&] { WriteJobReport(broken); }).rfind(broken + "/export/report.json: not JSON: ", 0), 0u);
  EXPECT_FALSE(PathExists(broken + "/report.html"));
  EXPECT_EQ(testing::ErrorOf([&] { WriteJobReport(*folder_); }),
            *folder_ + ": not a finished search (no summary.json)");
}

}  // namespace
}  // namespace edgenas
