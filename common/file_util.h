// Filesystem helpers: atomic writes and locating the project's shipped data.
#pragma once

#include <cstdint>
#include <string>

namespace edgenas {

// Writes `contents` to `path` atomically: a temporary <path>.tmp.<pid> in the
// same folder, created exclusively and never through a symlink, fsynced, then
// renamed over `path` and the folder fsynced, so a reader never sees a
// half-written file and a crash leaves the old file or the new one. Creates
// missing parent folders and removes temporaries of writers that died.
// Throws Error naming `path` and the system's reason ("No space left on device").
void WriteFileAtomically(const std::string& path, const std::string& contents);

// An exclusive lock on a folder a command writes in (flock on <folder>/.lock),
// held for the object's life, so two processes never write one folder at once.
// Creates the folder; removes it again if it created it and nothing else was
// written there.
class FolderLock {
 public:
  static constexpr const char* kLockFile = ".lock";
  // Throws Error if another process holds the lock, or the folder cannot be written.
  explicit FolderLock(const std::string& folder);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  std::string folder_;
  int fd_ = -1;
  bool created_ = false;
};

// A new folder `<prefix>XXXXXX` of this process's own (mkdtemp: created
// exclusively, mode 0700), removed whole with the object unless Keep() was
// called. The one kind of folder edgenas removes whole.
class FreshFolder {
 public:
  // Throws Error naming the folder and the system's reason.
  explicit FreshFolder(const std::string& prefix);
  ~FreshFolder();
  FreshFolder(const FreshFolder&) = delete;
  FreshFolder& operator=(const FreshFolder&) = delete;
  const std::string& path() const { return path_; }
  void Keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

// The most ReadFile reads: far more than any file edgenas reads (the largest
// shipped one is under 1 MB), far less than what would exhaust memory.
constexpr uintmax_t kMaxReadBytes = uintmax_t{256} << 20;

// Reads a whole regular file (symlinks followed). Throws Error("path: cannot
// open file"), or says the path is a folder, a device, or larger than kMaxReadBytes.
std::string ReadFile(const std::string& path);

// Whether `path` exists (following links). False also when a part of it is
// not a folder or the name is too long for the file system, which is "not
// there" for a path a user typed; any other failure to look (no permission to
// search a folder, an I/O error) is an Error naming the path. Use these, not
// std::filesystem::exists, which throws filesystem_error on all of them.
bool PathExists(const std::string& path);
// Whether `path` is a folder (following links); failures as PathExists.
bool IsFolder(const std::string& path);

// True if `text` names a file rather than a built-in item: it contains '/' or
// ends in .yaml or .yml.
bool LooksLikePath(const std::string& text);

// The folder holding the shipped data (space/spaces, hw_profiles, recipes,
// predictors): $EDGENAS_HOME if set, else the source tree edgenas was built from.
std::string DataRoot();

}  // namespace edgenas
