#include "common/file_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/text.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

class FileUtilTest : public ::testing::Test {
 protected:
  FileUtilTest() {
    folder_ = (fs::temp_directory_path() / ("edgenas_file_util_" + std::to_string(::getpid()))).string();
    fs::remove_all(folder_);
    fs::create_directories(folder_);
  }
  ~FileUtilTest() override { fs::remove_all(folder_); }
  std::string folder_;
};

// A symlink planted under the temporary's name is not written through: the
// file it points at keeps its contents.
TEST_F(FileUtilTest, AtomicWriteNeverFollowsAPlantedSymlink) {
  const std::string victim = folder_ + "/victim.txt", result = folder_ + "/result.json";
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, result + ".tmp." + std::to_string(::getpid()));
  WriteFileAtomically(result, "new contents");
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_EQ(ReadFile(result), "new contents");
  EXPECT_FALSE(fs::exists(result + ".tmp." + std::to_string(::getpid())));
}

// Temporaries left by a writer that died are removed by the next write.
TEST_F(FileUtilTest, AtomicWriteRemovesStaleTemporaries) {
  const std::string result = folder_ + "/summary.json";
  // A pid that cannot be alive: above the kernel's pid_max.
  const std::string stale = result + ".tmp.999999999";
  std::ofstream(stale) << "half";
  WriteFileAtomically(result, "{}");
  EXPECT_FALSE(fs::exists(stale));
}

TEST_F(FileUtilTest, FailedWriteNamesTheResultFile) {
  const std::string blocked = folder_ + "/file";
  std::ofstream(blocked) << "x";
  // A file where a folder is needed.
  const std::string error = testing::ErrorOf([&] { WriteFileAtomically(blocked + "/result.csv", "x"); });
  EXPECT_EQ(error.rfind(blocked + "/result.csv: cannot create its folder: ", 0), 0u) << error;
}

TEST_F(FileUtilTest, FolderLockIsExclusiveAndCleansUpAnUnusedFolder) {
  const std::string job = folder_ + "/job";
  {
    const FolderLock first(job);
    EXPECT_EQ(testing::ErrorOf([&] { FolderLock second(job); }),
              job + " is in use by another edgenas process; wait for it to finish or choose another folder");
  }
  EXPECT_FALSE(fs::exists(job));  // created by the lock, nothing written: removed again
  {
    const FolderLock again(job);
    WriteFileAtomically(job + "/summary.json", "{}");
  }
  EXPECT_TRUE(fs::exists(job + "/summary.json"));
  const FolderLock after(job);  // released
}

// A folder, a device behind a symlink (it once ate 8 GB before bad_alloc) and
// a missing file each get one clear line.
TEST_F(FileUtilTest, ReadFileRefusesFoldersAndDevices) {
  EXPECT_EQ(testing::ErrorOf([&] { ReadFile(folder_); }), folder_ + ": is a folder, a file was expected");
  fs::create_symlink("/dev/zero", folder_ + "/table.yaml");
  EXPECT_EQ(testing::ErrorOf([&] { ReadFile(folder_ + "/table.yaml"); }),
            folder_ + "/table.yaml: is not a regular file (a device or pipe?)");
  EXPECT_EQ(testing::ErrorOf([&] { ReadFile(folder_ + "/none"); }), folder_ + "/none: cannot open file");
}

TEST(Text, SafeNamesAndPrintableQuotes) {
  EXPECT_TRUE(IsSafeName("note10"));
  EXPECT_TRUE(IsSafeName("my-phone_2.1"));
  for (const char* bad : {"", ".", "..", "../x", "a/b", "a b", "x\n"}) EXPECT_FALSE(IsSafeName(bad)) << bad;
  EXPECT_FALSE(IsSafeName(std::string(256, 'a')));
  EXPECT_EQ(Printable("ok"), "ok");
  EXPECT_EQ(Printable("a\nb\xff"), "a\\x0ab\\xff");
  EXPECT_EQ(Printable(std::string(100, 'x'), 10), std::string(10, 'x') + "... (90 more bytes)");
}

}  // namespace
}  // namespace edgenas
