// `edgenas search` end to end: output files, and a run killed with SIGKILL
// then resumed ends exactly like an uninterrupted one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/file_util.h"

namespace {

namespace fs = std::filesystem;
using edgenas::ReadFile;

const std::string kData = std::string(EDGENAS_TEST_DATA) + "/search/";

// Runs edgenas with `arguments`; returns the exit status.
int Edgenas(const std::string& arguments) {
  const int status = std::system((std::string(EDGENAS_BINARY) + " " + arguments + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string TempFolder(const std::string& name) {
  const std::string folder = ::testing::TempDir() + "/edgenas_" + name + "_" + std::to_string(::getpid());
  fs::remove_all(folder);
  return folder;
}

// summary.json without the wall time, which differs between any two runs.
nlohmann::json SummaryWithoutTime(const std::string& folder) {
  nlohmann::json j = nlohmann::json::parse(ReadFile(folder + "/summary.json"));
  j.erase("wall_time_seconds");
  return j;
}

TEST(SearchCli, WritesEveryResultFile) {
  const std::string out = TempFolder("search_files");
  ASSERT_EQ(Edgenas("search " + kData + "ofa_short.yaml --quiet --output " + out), 0);
  for (const char* file : {"summary.json", "history.csv", "pareto.csv", "pareto.svg", "breakdown_note10.csv"}) {
    EXPECT_TRUE(fs::exists(out + "/" + file)) << file;
  }
  EXPECT_FALSE(fs::exists(out + "/checkpoint.json"));
  const nlohmann::json s = nlohmann::json::parse(ReadFile(out + "/summary.json"));
  EXPECT_EQ(s["algorithm"], "constrained_evolution");
  EXPECT_EQ(s["evaluations"], 3100);
  EXPECT_FALSE(s.contains("estimated_cost_entries"));  // the Note10 table has every key
  EXPECT_LE(s["best"]["metrics"]["latency@note10"]["value"].get<double>(), 25.0);
  const std::string arch = s["best"]["arch"];  // "r192-k..."
  EXPECT_EQ(s["best"]["ofa_json"]["r"][0].get<int>(), std::stoi(arch.substr(1, 3)));
  // The per-layer breakdown adds up to the network's latency.
  std::ifstream breakdown(out + "/breakdown_note10.csv");
  std::string line;
  std::getline(breakdown, line);
  double sum = 0;
  while (std::getline(breakdown, line)) {
    const size_t last = line.rfind(','), before = line.rfind(',', last - 1);
    sum += std::stod(line.substr(before + 1, last - before - 1));
  }
  EXPECT_NEAR(sum, s["best"]["metrics"]["latency@note10"]["value"].get<double>(), 1e-6);
  // A second run, on one thread, gives the same result.
  const std::string again = TempFolder("search_files_again");
  ASSERT_EQ(Edgenas("search " + kData + "ofa_short.yaml --quiet --threads 1 --output " + again), 0);
  EXPECT_EQ(SummaryWithoutTime(out), SummaryWithoutTime(again));
  EXPECT_EQ(ReadFile(out + "/history.csv"), ReadFile(again + "/history.csv"));
  // One objective: the front's columns do not apply and are left empty.
  const std::string history = ReadFile(out + "/history.csv");
  const std::string first_row = history.substr(history.find('\n') + 1, history.find('\n', history.find('\n') + 1) - history.find('\n') - 1);
  EXPECT_EQ(first_row.substr(first_row.size() - 2), ",,") << first_row;
}

// Costs resting on interpolated table entries are flagged in the results.
TEST(SearchCli, SummaryCountsEstimatedTableEntries) {
  const std::string out = TempFolder("search_interpolated");
  ASSERT_EQ(Edgenas("search " EDGENAS_TEST_DATA "/recipes/good/ofa_w10_note10_interpolated.yaml --quiet --output " + out), 0);
  const nlohmann::json s = nlohmann::json::parse(ReadFile(out + "/summary.json"));
  EXPECT_EQ(s["estimated_cost_entries"], nlohmann::json({{"latency@note10", 192}}));
}

TEST(SearchCli, KilledThenResumedEqualsUninterrupted) {
  const std::string recipe = kData + "macro_regularized_long.yaml";
  const std::string whole = TempFolder("search_whole"), killed = TempFolder("search_killed");
  ASSERT_EQ(Edgenas("search " + recipe + " --quiet --checkpoint-every 20 --output " + whole), 0);

  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string out = "--output=" + killed;
    execl(EDGENAS_BINARY, EDGENAS_BINARY, "search", recipe.c_str(), "--quiet", "--checkpoint-every", "20", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it as soon as a checkpoint exists, mid-search.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(killed + "/checkpoint.json") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the search ended before it could be killed";
  ASSERT_FALSE(fs::exists(killed + "/summary.json"));
  const int generation = nlohmann::json::parse(ReadFile(killed + "/checkpoint.json"))["generation"].get<int>();
  EXPECT_LT(generation, 3000);

  EXPECT_EQ(Edgenas("search " + recipe + " --quiet --output " + killed), 2);  // refuses to start over it
  ASSERT_EQ(Edgenas("search --quiet --resume " + killed), 0);
  EXPECT_EQ(SummaryWithoutTime(whole), SummaryWithoutTime(killed));
  EXPECT_EQ(ReadFile(whole + "/history.csv"), ReadFile(killed + "/history.csv"));
  EXPECT_EQ(ReadFile(whole + "/pareto.csv"), ReadFile(killed + "/pareto.csv"));
  EXPECT_FALSE(fs::exists(killed + "/checkpoint.json"));
  EXPECT_EQ(Edgenas("search --quiet --resume " + killed), 2);  // finished: nothing to resume
}

// Ctrl-C or SIGTERM: the generation under way finishes, the state is saved
// (even with --checkpoint-every 0), the process exits 130 saying how to resume,
// and the resumed job ends exactly like an uninterrupted one.
TEST(SearchCli, SignalStopsCleanlyAndResumes) {
  const std::string recipe = kData + "macro_regularized_long.yaml";
  const std::string whole = TempFolder("signal_whole"), stopped = TempFolder("signal_stopped");
  ASSERT_EQ(Edgenas("search " + recipe + " --quiet --checkpoint-every 0 --output " + whole), 0);
  const std::string err = stopped + ".err";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string out = "--output=" + stopped;
    freopen(err.c_str(), "w", stderr);
    execl(EDGENAS_BINARY, EDGENAS_BINARY, "search", recipe.c_str(), "--checkpoint-every", "0", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Stop it once it is searching (its lock file exists and a progress line is out).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((!fs::exists(err) || ReadFile(err).find("generation") == std::string::npos) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 130) << ReadFile(err);
  const std::string message = ReadFile(err);
  EXPECT_NE(message.find("(SIGTERM); the state is saved: resume with `edgenas search --resume " + stopped + "`"),
            std::string::npos)
      << message;
  ASSERT_TRUE(fs::exists(stopped + "/checkpoint.json"));
  ASSERT_FALSE(fs::exists(stopped + "/summary.json"));
  ASSERT_EQ(Edgenas("search --quiet --resume " + stopped), 0);
  EXPECT_EQ(SummaryWithoutTime(whole), SummaryWithoutTime(stopped));
  EXPECT_EQ(ReadFile(whole + "/history.csv"), ReadFile(stopped + "/history.csv"));
  fs::remove(err);
}

// A finished job is not overwritten without --force.
TEST(SearchCli, RefusesToOverwriteAFinishedJob) {
  const std::string out = TempFolder("search_finished");
  ASSERT_EQ(Edgenas("search " + kData + "ofa_short.yaml --quiet --output " + out), 0);
  EXPECT_EQ(Edgenas("search " + kData + "ofa_short.yaml --quiet --output " + out), 2);
  EXPECT_EQ(Edgenas("search " + kData + "ofa_short.yaml --quiet --force --output " + out), 0);
}

// Two jobs never write one folder at once: the second is refused while the first holds its lock.
TEST(SearchCli, SecondJobOnABusyFolderIsRefused) {
  const std::string out = TempFolder("search_busy");
  const edgenas::FolderLock held(out);
  const std::string command = std::string(EDGENAS_BINARY) + " search " + kData + "ofa_short.yaml --output " + out +
                              " 2>&1 >/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[512] = {0};
  ASSERT_NE(fgets(line, sizeof line, pipe), nullptr);
  EXPECT_EQ(WEXITSTATUS(pclose(pipe)), 2);
  EXPECT_EQ(std::string(line),
            out + " is in use by another edgenas process; wait for it to finish or choose another folder\n");
}

// A recipe's export section is not run by the search, and not silently: the
// search names the commands that run it.
TEST(SearchCli, SaysTheExportSectionIsNotRunHere) {
  const std::string out = TempFolder("search_export_note");
  fs::create_directories(out);
  const std::string recipe = out + "/r.yaml";
  std::ofstream(recipe) << "job: j\nspace: nas_bench_macro\nsearch: {algorithm: random, evaluations: 10}\n"
                           "objectives: {minimize: [macs]}\nexport:\n  dataset: fashion_mnist\n";
  ASSERT_EQ(std::system((std::string(EDGENAS_BINARY) + " search " + recipe + " --output " + out + "/results 2>" + out +
                         "/stderr >/dev/null")
                            .c_str()),
            0);
  EXPECT_NE(ReadFile(out + "/stderr").find("note: " + recipe + ":6:3: `edgenas search` does not run the export section; "
                                           "`edgenas run` runs the search and then it"),
            std::string::npos)
      << ReadFile(out + "/stderr");
  EXPECT_TRUE(fs::exists(out + "/results/report.html"));
}

}  // namespace
