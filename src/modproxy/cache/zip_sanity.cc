#include "modproxy/cache/zip_sanity.h"

#include <zip.h>

#include <memory>

#include "modproxy/protocol/zip_limits.h"

namespace modproxy::cache {
namespace {

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};

Error Invalid(const std::string& reason) {
  return MakeError(ErrorCode::kUpstreamInvalid, "invalid module zip: " + reason);
}

}  // namespace

Result<void> CheckZipStructure(const std::string& path, std::string_view module,
                               std::string_view version) {
  int error_code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(
      zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error_code));
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, error_code);
    std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    return Invalid("cannot read zip (" + reason + ")");
  }
  const std::string prefix = std::string(module) + "@" + std::string(version) + "/";
  std::uint64_t total = 0;
  const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &st) != 0) {
      return Invalid("cannot read entry " + std::to_string(i));
    }
    std::string_view name = (st.valid & ZIP_STAT_NAME) ? st.name : "";
    if (name.substr(0, prefix.size()) != prefix) {
      return Invalid("unexpected file " + std::string(name) + " (want prefix " + prefix + ")");
    }
    total += (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    if (total > protocol::kMaxZipBytes) return Invalid("uncompressed size over 500 MiB");
  }
  return {};
}

}  // namespace modproxy::cache
