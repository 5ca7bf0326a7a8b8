#include "modproxy/verify/cached_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"

namespace modproxy::verify {
namespace fs = std::filesystem;

Result<std::vector<CachedFile>> ListCachedFiles(const std::string& root) {
  std::vector<CachedFile> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec);
  if (ec) return MakeError(ErrorCode::kStorage, "cannot read " + root + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return MakeError(ErrorCode::kStorage, "cannot read " + root + ": " + ec.message());
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (it->is_directory(ec)) {
      // Bookkeeping and the checksum-database cache are not module files.
      if (name.front() == '.' || (it.depth() == 0 && name == "sumdb"))
        it.disable_recursion_pending();
      continue;
    }
    const bool go_mod = path.extension() == ".mod";
    if (!go_mod && path.extension() != ".zip") continue;
    if (path.parent_path().filename() != "@v") continue;
    CachedFile file;
    file.path = path.string();
    file.go_mod = go_mod;
    file.escaped_version = path.stem().string();
    file.escaped_module = fs::relative(path.parent_path().parent_path(), root, ec).generic_string();
    if (ec) continue;
    Result<std::string> module = protocol::UnescapePath(file.escaped_module);
    Result<std::string> version = protocol::UnescapeVersion(file.escaped_version);
    if (module) file.module = *module;
    if (version) file.version = *version;
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(),
            [](const CachedFile& a, const CachedFile& b) { return a.path < b.path; });
  return files;
}

}  // namespace modproxy::verify
