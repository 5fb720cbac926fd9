// Reading search spaces from YAML files (format: docs/spaces.md).
//
// The built-in spaces are the files in <DataRoot()>/space/spaces/; a user's own
// space is any file in that format, named by its path.
#pragma once

#include <string>
#include <vector>

#include "space/search_space.h"

namespace edgenas {

// Parses a space file. Errors name the file, line and column.
SearchSpace LoadSpaceFile(const std::string& path);

// Names of the built-in spaces, sorted.
std::vector<std::string> BuiltinSpaceNames();

// The path of a built-in space, or "" if there is none of that name.
std::string BuiltinSpacePath(const std::string& name);

// The file a built-in space's name or a space file's path refers to. Throws
// Error for an unknown name, listing the built-in ones (the file itself is not
// read, and a path is returned as given).
std::string SpaceFile(const std::string& name_or_path);

// A built-in space by name, or a space file by path (anything ending in .yaml
// or .yml, or containing '/'). Unknown names list the built-in ones.
SearchSpace LoadSpace(const std::string& name_or_path);

}  // namespace edgenas
