#include "modproxy/protocol/zip_rules.h"

#include <string>
#include <vector>

#include "modproxy/protocol/case_fold.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/path_collisions.h"
#include "modproxy/protocol/text.h"
#include "modproxy/protocol/zip_limits.h"

namespace modproxy::protocol {
namespace {

using detail::Quote;

// Entry names as they appear in violations: raw when that is safe on one
// line, Go-style quoted otherwise.
std::string Printable(std::string_view name) {
  for (const char c : name) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return Quote(name);
  }
  return detail::IsValidUtf8(name) ? std::string(name) : Quote(name);
}

}  // namespace

std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  std::size_t leading_dotdots = 0;  // ".." that cannot be removed (relative paths)
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view elem = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (elem.empty() || elem == ".") continue;
    if (elem == "..") {
      if (parts.size() > leading_dotdots) {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(elem);
        ++leading_dotdots;
      }
      continue;
    }
    parts.push_back(elem);
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

std::vector<std::string> CheckModuleZip(std::string_view module, std::string_view version,
                                        std::uint64_t zip_size,
                                        const std::vector<ZipEntry>& entries) {
  std::vector<std::string> violations;
  if (Result<void> valid = CheckModuleVersion(module, version); !valid) {
    violations.push_back(valid.error().message);
    return violations;
  }
  if (zip_size > kMaxZipBytes) {
    violations.push_back("module zip file is too large (" + std::to_string(zip_size) +
                         " bytes; limit is " + std::to_string(kMaxZipBytes) + " bytes)");
  }
  const std::string prefix = std::string(module) + "@" + std::string(version) + "/";
  PathCollisions collisions;
  std::uint64_t total = 0;
  bool total_reported = false;
  for (const ZipEntry& entry : entries) {
    const auto violation = [&](const std::string& reason) {
      violations.push_back(Printable(entry.name) + ": " + reason);
    };
    if (!entry.name.starts_with(prefix)) {
      violation("path does not have prefix " + Quote(prefix));
      continue;
    }
    std::string_view name = std::string_view(entry.name).substr(prefix.size());
    if (name.empty()) continue;
    const bool is_dir = name.back() == '/';
    if (is_dir) name.remove_suffix(1);
    if (CleanPath(name) != name) {
      violation("file path is not clean");
      continue;
    }
    if (Result<void> ok = CheckFilePath(name); !ok) {
      violation(ok.error().message);
      continue;
    }
    if (std::string collision = collisions.Check(name, is_dir); !collision.empty()) {
      violation(collision);
      continue;
    }
    if (entry.IsSymlink()) {
      violation("file is a symbolic link");
      continue;
    }
    if (is_dir) continue;
    const std::size_t slash = name.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
    if (detail::FoldCase(base) == "go.mod") {
      if (base != name) {
        violation("go.mod file not in module root directory");
        continue;
      }
      if (name != "go.mod") {
        violation("go.mod files must have lowercase names");
        continue;
      }
    }
    const std::uint64_t size = entry.uncompressed_size;
    if (size <= kMaxZipBytes - total) {
      total += size;
    } else if (!total_reported) {
      total_reported = true;
      violations.push_back("total uncompressed size of module contents too large (max size is " +
                           std::to_string(kMaxZipBytes) + " bytes)");
    }
    if (name == "go.mod" && size > kMaxGoModBytes) {
      violation("go.mod file too large (max size is " + std::to_string(kMaxGoModBytes) + " bytes)");
    } else if (name == "LICENSE" && size > kMaxLicenseBytes) {
      violation("LICENSE file too large (max size is " + std::to_string(kMaxLicenseBytes) +
                " bytes)");
    }
  }
  return violations;
}

}  // namespace modproxy::protocol
