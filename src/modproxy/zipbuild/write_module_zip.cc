// zip.Create's writing half: each selected file read once and deflated into
// the sink, with the size limits checked on the bytes actually read.
#include <string>

#include "modproxy/protocol/zip_limits.h"
#include "modproxy/zipbuild/zip_writer.h"
#include "modproxy/zipbuild/zipbuild.h"

namespace modproxy::zipbuild {
namespace {

Error TooLarge(std::string message) {
  return MakeError(ErrorCode::kNotFound, "create zip: " + std::move(message));
}

}  // namespace

Result<void> WriteModuleZip(std::string_view module, std::string_view version,
                            const std::vector<SourceFile>& files,
                            const std::function<Result<void>(std::string_view)>& sink) {
  if (Result<void> ok = CheckModuleVersionForZip(module, version); !ok) {
    return MakeError(ErrorCode::kInvalidArgument, "create zip: " + ok.error().message);
  }
  const std::string prefix = std::string(module) + "@" + std::string(version) + "/";
  detail::ZipWriter writer(sink);
  std::uint64_t budget = protocol::kMaxZipBytes;
  for (const SourceFile& file : files) {
    if (!file.read) {
      return MakeError(ErrorCode::kInternal, "create zip: " + file.path + ": nothing to read");
    }
    Result<std::string> bytes = file.read();
    if (!bytes) return bytes.error();
    const std::uint64_t size = bytes->size();
    // The same limits as SelectModuleFiles, on the real bytes (see the header).
    if (size > budget) {
      return TooLarge("module source tree too large (max size is " +
                      std::to_string(protocol::kMaxZipBytes) + " bytes)");
    }
    budget -= size;
    if (file.path == "go.mod" && size > protocol::kMaxGoModBytes) {
      return TooLarge("go.mod: go.mod file too large (max size is " +
                      std::to_string(protocol::kMaxGoModBytes) + " bytes)");
    }
    if (file.path == "LICENSE" && size > protocol::kMaxLicenseBytes) {
      return TooLarge("LICENSE: LICENSE file too large (max size is " +
                      std::to_string(protocol::kMaxLicenseBytes) + " bytes)");
    }
    if (Result<void> ok = writer.AddFile(prefix + file.path, *bytes); !ok) return ok;
  }
  return writer.Finish();
}

}  // namespace modproxy::zipbuild
