// Filesystem helpers: atomic writes and locating the project's shipped data.
#pragma once

#include <string>

namespace edgenas {

// Writes `contents` to `path` atomically: a temporary file in the same folder,
// then rename(), so a reader never sees a half-written file. Creates missing
// parent folders. Throws Error on failure.
void WriteFileAtomically(const std::string& path, const std::string& contents);

// Reads a whole file. Throws Error("path: cannot open file").
std::string ReadFile(const std::string& path);

// True if `text` names a file rather than a built-in item: it contains '/' or
// ends in .yaml or .yml.
bool LooksLikePath(const std::string& text);

// The folder holding the shipped data (space/spaces, hw_profiles, recipes,
// predictors): $EDGENAS_HOME if set, else the source tree edgenas was built from.
std::string DataRoot();

}  // namespace edgenas
