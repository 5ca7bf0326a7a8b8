// x/mod zip.Create's argument checks and its file selection (checkFiles),
// rule by rule in Go's order (go-modules-reference.md §5.3).
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "modproxy/protocol/case_fold.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/path_collisions.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/text.h"
#include "modproxy/protocol/zip_limits.h"
#include "modproxy/protocol/zip_rules.h"
#include "modproxy/zipbuild/zip_names.h"
#include "modproxy/zipbuild/zipbuild.h"

namespace modproxy::zipbuild {
namespace {

using detail::GoQuote;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// "dir/" of "dir/base" ("" at the root), as Go's path.Split.
std::string_view DirOf(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
}

std::string_view BaseOf(std::string_view path) { return path.substr(DirOf(path).size()); }

// Directories (as "dir/") holding a regular file whose name folds to go.mod.
std::unordered_set<std::string> ModuleRoots(const std::vector<SourceFile>& files) {
  std::unordered_set<std::string> roots;
  for (const SourceFile& file : files) {
    if (file.kind == FileKind::kRegular &&
        protocol::detail::FoldCase(BaseOf(file.path)) == "go.mod") {
      roots.emplace(DirOf(file.path));
    }
  }
  return roots;
}

// In a module nested below the root: some ancestor directory (not the root
// itself, whose go.mod is the module's own) is a module root.
bool InNestedModule(std::string_view path, const std::unordered_set<std::string>& roots) {
  for (std::string_view dir = DirOf(path); !dir.empty();
       dir = DirOf(dir.substr(0, dir.size() - 1))) {
    if (roots.contains(std::string(dir))) return true;
  }
  return false;
}

// CheckFilePath's message with the path quoted as Go quotes it (protocol
// escapes every non-ASCII byte, Go prints letters as they are).
std::string FilePathProblem(std::string_view path, std::string message) {
  const std::string protocol_prefix = "malformed file path " + protocol::detail::Quote(path);
  if (message.starts_with(protocol_prefix)) {
    message = "malformed file path " + GoQuote(path) + message.substr(protocol_prefix.size());
  }
  return message;
}

bool IsAsciiLowercaseGoMod(std::string_view path) {
  // strings.ToLower(p) == "go.mod": no non-ASCII rune lowers to one of
  // "go.mod"'s letters, so ASCII folding decides it.
  if (path.size() != 6) return false;
  std::string lower(path);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower == "go.mod";
}

// What checkFiles collects: Go reports every invalid file (once per path,
// and not at all for a path already omitted), or only the size error.
struct Verdicts {
  std::unordered_set<std::string> decided;  // paths omitted or invalid (x/mod's errPaths)
  std::vector<std::string> invalid;
  std::string size_error;

  void Omit(const std::string& path) { decided.insert(path); }
  void Refuse(const std::string& path, const std::string& reason) {
    if (decided.insert(path).second) invalid.push_back(path + ": " + reason);
  }
};

}  // namespace

Result<void> CheckModuleVersionForZip(std::string_view module, std::string_view version) {
  const std::string canonical = protocol::CanonicalVersion(version);
  if (canonical != version) {
    return Invalid("version " + GoQuote(version) + " is not canonical (should be " +
                   GoQuote(canonical) + ")");
  }
  if (Result<void> ok = protocol::CheckModulePath(module); !ok) return ok;
  if (Result<void> ok = protocol::CheckModuleVersion(module, version); !ok) {
    // module.Check words it "M@V: invalid version: <problem>"; protocol
    // words it for request paths.
    const std::string protocol_prefix = "invalid version " + protocol::detail::Quote(version) +
                                        " for module " + protocol::detail::Quote(module) + ": ";
    std::string problem = ok.error().message;
    if (problem.starts_with(protocol_prefix)) problem.erase(0, protocol_prefix.size());
    return Invalid(std::string(module) + "@" + std::string(version) +
                   ": invalid version: " + problem);
  }
  return {};
}

Result<std::vector<SourceFile>> SelectModuleFiles(std::string_view module, std::string_view version,
                                                  std::vector<SourceFile> files) {
  if (Result<void> ok = CheckModuleVersionForZip(module, version); !ok) {
    return Invalid("create zip: " + ok.error().message);
  }
  const std::unordered_set<std::string> roots = ModuleRoots(files);
  Verdicts verdicts;
  protocol::PathCollisions collisions;
  std::uint64_t budget = protocol::kMaxZipBytes;
  std::vector<SourceFile> selected;
  for (SourceFile& file : files) {
    const std::string& p = file.path;
    if (protocol::CleanPath(p) != p) {
      verdicts.Refuse(p, "file path is not clean");
      continue;
    }
    if (p.starts_with('/')) {
      verdicts.Refuse(p, "file path is not relative");
      continue;
    }
    if (detail::IsVendoredPackage(p) || InNestedModule(p, roots) || p == ".hg_archival.txt") {
      verdicts.Omit(p);
      continue;
    }
    if (Result<void> ok = protocol::CheckFilePath(p); !ok) {
      verdicts.Refuse(p, FilePathProblem(p, ok.error().message));
      continue;
    }
    if (p != "go.mod" && IsAsciiLowercaseGoMod(p)) {
      verdicts.Refuse(p, "go.mod files must have lowercase names");
      continue;
    }
    if (std::string collision = collisions.Check(p, /*is_dir=*/false); !collision.empty()) {
      verdicts.Refuse(p, collision);
      continue;
    }
    if (file.kind != FileKind::kRegular) {
      verdicts.Omit(p);
      continue;
    }
    // A file over the remaining budget does not use it up: the files after
    // it still count against what is left, as in Go.
    if (file.size <= budget) {
      budget -= file.size;
    } else if (verdicts.size_error.empty()) {
      verdicts.size_error = "module source tree too large (max size is " +
                            std::to_string(protocol::kMaxZipBytes) + " bytes)";
    }
    if (p == "go.mod" && file.size > protocol::kMaxGoModBytes) {
      verdicts.Refuse(p, "go.mod file too large (max size is " +
                             std::to_string(protocol::kMaxGoModBytes) + " bytes)");
      continue;
    }
    if (p == "LICENSE" && file.size > protocol::kMaxLicenseBytes) {
      verdicts.Refuse(p, "LICENSE file too large (max size is " +
                             std::to_string(protocol::kMaxLicenseBytes) + " bytes)");
      continue;
    }
    selected.push_back(std::move(file));
  }
  if (!verdicts.size_error.empty()) {
    return MakeError(ErrorCode::kNotFound, "create zip: " + verdicts.size_error);
  }
  if (!verdicts.invalid.empty()) {
    std::string message = "create zip: ";
    for (std::size_t i = 0; i < verdicts.invalid.size(); ++i) {
      if (i > 0) message += '\n';
      message += verdicts.invalid[i];
    }
    return MakeError(ErrorCode::kNotFound, std::move(message));
  }
  return selected;
}

}  // namespace modproxy::zipbuild
