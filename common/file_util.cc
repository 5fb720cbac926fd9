#include "common/file_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace edgenas {

void WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    EDGENAS_THROW_IF_NOT_FMT(out.good(), "{}: cannot create file", temporary);
    out << contents;
    out.flush();
    EDGENAS_THROW_IF_NOT_FMT(out.good(), "{}: write failed", temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    EDGENAS_THROW_FMT("{}: cannot rename {} into place", path, temporary);
  }
}

std::string ReadFile(const std::string& path) {
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

}  // namespace edgenas
