// The fault corpus: one file per kind of bad input in tests/data/faults/, each
// run through the `edgenas` executable in a scratch folder of its own, checking
// the exit code, the exact first line on stderr, and that nothing the command
// must not touch was changed.
//
// A fault file:
//   # why this input is a fault (comments)
//   run: <arguments>             {data}: tests/data, {root}: the source tree
//   exit: 2
//   error: <first line of stderr>  ({data} and {root} as above)
//   make: <kind> <path>          an input too odd to keep as text (repeatable):
//                                nul, deep, long_line, folder, dev_zero_link, one_linear_layer
//   keep: <path>                 after the run, exists with the bytes it had before (repeatable)
//   absent: <path>               after the run, does not exist (repeatable)
//   needs: torch                 a command of edgenas-torch: skipped in builds without LibTorch
//   === <path>                   a file written before the run, up to the next === or the end
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "accuracy/torch_state_dict.h"
#include "common/file_util.h"
#include "common/text.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;
using edgenas::ReadFile;

const std::string kFaults = std::string(EDGENAS_TEST_DATA) + "/faults";

struct Fault {
  std::string run;
  int exit_code = -1;
  std::string error;
  std::vector<std::pair<std::string, std::string>> make;  // kind, path
  std::vector<std::string> keep;
  std::vector<std::string> absent;
  bool needs_torch = false;
  std::vector<std::pair<std::string, std::string>> files;  // path, contents
};

std::string Substitute(std::string text) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"{data}", EDGENAS_TEST_DATA},
                                 std::pair<std::string, std::string>{"{root}", EDGENAS_SOURCE_ROOT}}) {
    for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
  }
  return text;
}

Fault ReadFault(const std::string& path) {
  Fault f;
  std::istringstream in(ReadFile(path));
  std::string line;
  std::string* file = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("=== ", 0) == 0) {
      f.files.emplace_back(line.substr(4), "");
      file = &f.files.back().second;
    } else if (file != nullptr) {
      *file += line + "\n";
    } else if (line.empty() || line[0] == '#') {
    } else if (line.rfind("run: ", 0) == 0) {
      f.run = Substitute(line.substr(5));
    } else if (line.rfind("exit: ", 0) == 0) {
      f.exit_code = std::stoi(line.substr(6));
    } else if (line.rfind("error: ", 0) == 0) {
      f.error = Substitute(line.substr(7));
    } else if (line.rfind("make: ", 0) == 0) {
      const std::vector<std::string> words = edgenas::SplitString(line.substr(6), ' ');
      EXPECT_EQ(words.size(), 2u) << path << ": " << line;
      if (words.size() == 2) f.make.emplace_back(words[0], words[1]);
    } else if (line.rfind("keep: ", 0) == 0) {
      f.keep.push_back(line.substr(6));
    } else if (line == "needs: torch") {
      f.needs_torch = true;
    } else if (line.rfind("absent: ", 0) == 0) {
      f.absent.push_back(line.substr(8));
    } else {
      ADD_FAILURE() << path << ": cannot read the line '" << line << "'";
    }
  }
  EXPECT_FALSE(f.run.empty()) << path << ": no 'run:'";
  EXPECT_NE(f.exit_code, -1) << path << ": no 'exit:'";
  return f;
}

// Inputs a text file cannot hold, or that would be megabytes in the repository.
void Make(const std::string& kind, const fs::path& path) {
  fs::create_directories(path.parent_path());
  if (kind == "nul") {
    edgenas::WriteFileAtomically(path, std::string("job: j\nspace: fbnet\0\n", 21));
  } else if (kind == "deep") {
    edgenas::WriteFileAtomically(path, "job: j\nspace: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
  } else if (kind == "long_line") {
    edgenas::WriteFileAtomically(path, "job: " + std::string(3'000'000, 'a') + "\nspace: fbnet\n");
  } else if (kind == "folder") {
    fs::create_directories(path);
  } else if (kind == "dev_zero_link") {
    fs::create_symlink("/dev/zero", path);
  } else if (kind == "one_linear_layer") {
    edgenas::WriteTorchStateDict(path, {{"0.weight", {{1, 24}, std::vector<float>(24, 0.5f)}}, {"0.bias", {{1}, {70}}}});
  } else {
    FAIL() << "unknown make: " << kind;
  }
}

class FaultCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(FaultCorpus, ExitsWithTheExpectedFirstLine) {
  const Fault fault = ReadFault(kFaults + "/" + GetParam() + ".fault");
  if (fault.needs_torch && !fs::exists(fs::path(EDGENAS_BINARY).parent_path() / "edgenas-torch")) {
    GTEST_SKIP() << "this build has no edgenas-torch";
  }
  const fs::path scratch = edgenas::testing::UniqueTempPath("fault_" + GetParam());
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  for (const auto& [path, contents] : fault.files) {
    fs::create_directories((scratch / path).parent_path());
    edgenas::WriteFileAtomically(scratch / path, contents);
  }
  for (const auto& [kind, path] : fault.make) Make(kind, scratch / path);
  std::map<std::string, std::string> kept;
  for (const std::string& path : fault.keep) kept[path] = ReadFile(scratch / path);

  const std::string command = "cd " + scratch.string() + " && EDGENAS_HOME=" + EDGENAS_SOURCE_ROOT + " " +
                              EDGENAS_BINARY + " " + fault.run + " >stdout.txt 2>stderr.txt";
  const int status = std::system(command.c_str());
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const std::string err = ReadFile(scratch / "stderr.txt");
  EXPECT_EQ(exit_code, fault.exit_code) << err;
  EXPECT_EQ(err.substr(0, err.find('\n')), fault.error);
  for (const auto& [path, contents] : kept) {
    ASSERT_TRUE(fs::exists(scratch / path)) << path << " was removed";
    EXPECT_EQ(ReadFile(scratch / path), contents) << path << " was changed";
  }
  for (const std::string& path : fault.absent) EXPECT_FALSE(fs::exists(scratch / path)) << path;
  fs::remove_all(scratch);
}

std::vector<std::string> FaultNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kFaults)) {
    if (entry.path().extension() == ".fault") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultCorpus, ::testing::ValuesIn(FaultNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
