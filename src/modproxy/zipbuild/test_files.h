#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "modproxy/zipbuild/zipbuild.h"

// Building SourceFile lists in the zipbuild tests.
namespace modproxy::zipbuild::testing_files {

// A file whose content is `content` (size from it).
inline SourceFile Regular(std::string path, std::string content = "") {
  const std::uint64_t size = content.size();
  return SourceFile{std::move(path), FileKind::kRegular, size,
                    [content = std::move(content)]() -> Result<std::string> { return content; }};
}

// A file that declares `size` bytes and holds that many 'x' (large sizes are
// only declared: the selection rules never read).
inline SourceFile Sized(std::string path, std::uint64_t size) {
  return SourceFile{std::move(path), FileKind::kRegular, size,
                    [size]() -> Result<std::string> { return std::string(size, 'x'); }};
}

inline SourceFile Symlink(std::string path) {
  return SourceFile{std::move(path), FileKind::kSymlink, 6,
                    []() -> Result<std::string> { return std::string("target"); }};
}

inline SourceFile Other(std::string path) {
  return SourceFile{std::move(path), FileKind::kOther, 0,
                    []() -> Result<std::string> { return std::string(); }};
}

inline std::vector<std::string> Paths(const std::vector<SourceFile>& files) {
  std::vector<std::string> paths;
  for (const SourceFile& file : files) paths.push_back(file.path);
  return paths;
}

}  // namespace modproxy::zipbuild::testing_files
