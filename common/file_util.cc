#include "common/file_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/text.h"

namespace edgenas {

namespace {

namespace fs = std::filesystem;

// fsync of a folder, so that a rename in it survives a power cut.
void SyncFolder(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems refuse to open folders
  ::fsync(fd);
  ::close(fd);
}

// Removes <name>.tmp.<pid> files beside `target` whose process is gone: what
// a writer killed between creating and renaming its temporary left behind.
void RemoveStaleTemporaries(const fs::path& target) {
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(target.parent_path().empty() ? "." : target.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(entry.path(), error);
  }
}

// The message for a failed write: the result file, and the system's reason.
[[noreturn]] void FailWrite(const std::string& path, int error_number) {
  EDGENAS_THROW_FMT("{}: cannot write: {}", path, std::strerror(error_number));
}

}  // namespace

void WriteFileAtomically(const std::string& path, const std::string& contents) {
  const fs::path target(path);
  if (target.has_parent_path()) {
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (error) EDGENAS_THROW_FMT("{}: cannot create its folder: {}", path, error.message());
  }
  RemoveStaleTemporaries(target);
  // Created exclusively and never through a link: a file or symlink planted
  // under the temporary's name is removed (unlink does not follow links), not written through.
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = -1;
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST && attempt == 0) ::unlink(temporary.c_str());
  }
  if (fd < 0) FailWrite(path, errno);
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error_number = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(temporary.c_str());
      FailWrite(path, error_number);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    FailWrite(path, error_number);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    FailWrite(path, error_number);
  }
  SyncFolder(target.parent_path());
}

FolderLock::FolderLock(const std::string& folder) : folder_(folder) {
  std::error_code error;
  created_ = fs::create_directories(folder, error);
  if (error) EDGENAS_THROW_FMT("{}: cannot create the folder: {}", folder, error.message());
  const std::string lock = (fs::path(folder) / kLockFile).string();
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) EDGENAS_THROW_FMT("{}: cannot write in the folder: {}", folder, std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    EDGENAS_THROW_FMT("{} is in use by another edgenas process; wait for it to finish or choose another folder",
                      folder);
  }
}

FolderLock::~FolderLock() {
  if (fd_ < 0) return;
  // A folder this lock created and nothing else wrote to is removed again.
  std::error_code error;
  if (created_) {
    size_t entries = 0;
    for (auto it = fs::directory_iterator(folder_, error); !error && it != fs::directory_iterator(); ++it) ++entries;
    if (!error && entries == 1) {
      fs::remove(fs::path(folder_) / kLockFile, error);
      fs::remove(folder_, error);
    }
  }
  ::close(fd_);  // releases the lock
}

namespace {

std::filesystem::file_status StatusOrThrow(const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory && error != std::errc::not_a_directory &&
      error != std::errc::filename_too_long) {
    EDGENAS_THROW_FMT("{}: cannot look: {}", Printable(path, 200), error.message());
  }
  return status;
}

}  // namespace

bool PathExists(const std::string& path) { return std::filesystem::exists(StatusOrThrow(path)); }

bool IsFolder(const std::string& path) { return std::filesystem::is_directory(StatusOrThrow(path)); }

std::string ReadFile(const std::string& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  EDGENAS_THROW_IF_NOT_FMT(!error && fs::exists(status), "{}: cannot open file", path);
  EDGENAS_THROW_IF_NOT_FMT(!fs::is_directory(status), "{}: is a folder, a file was expected", path);
  EDGENAS_THROW_IF_NOT_FMT(fs::is_regular_file(status), "{}: is not a regular file (a device or pipe?)", path);
  const uintmax_t size = fs::file_size(path, error);
  EDGENAS_THROW_IF_NOT_FMT(!error && size <= kMaxReadBytes, "{}: {} bytes; at most {} are read", path, size,
                           kMaxReadBytes);
  std::ifstream in(path, std::ios::binary);
  EDGENAS_THROW_IF_NOT_FMT(in.good(), "{}: cannot open file", path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool LooksLikePath(const std::string& text) {
  const std::string extension = std::filesystem::path(text).extension().string();
  return text.find('/') != std::string::npos || extension == ".yaml" || extension == ".yml";
}

std::string DataRoot() {
  const char* home = std::getenv("EDGENAS_HOME");
  if (home != nullptr && *home != '\0') return home;
  return EDGENAS_SOURCE_DIR;
}

FreshFolder::FreshFolder(const std::string& prefix) : path_(prefix + "XXXXXX") {
  EDGENAS_THROW_IF_NOT_FMT(::mkdtemp(path_.data()) != nullptr, "cannot create a folder like {}: {}", path_,
                           std::strerror(errno));
}

FreshFolder::~FreshFolder() {
  std::error_code ignored;
  if (!keep_) std::filesystem::remove_all(path_, ignored);
}

}  // namespace edgenas
