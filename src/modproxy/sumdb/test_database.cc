#include "modproxy/sumdb/test_database.h"

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/core/check.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/text.h"

namespace modproxy::sumdb {
namespace {

using protocol::detail::Quote;

Error NotFound(std::string message) {
  return MakeError(ErrorCode::kNotFound, "not found: " + std::move(message));
}

}  // namespace

TestDatabase::TestDatabase(tlog::Signer signer) : signer_(std::move(signer)) {}

TestDatabase::TestDatabase(std::string_view name, std::string_view seed_text)
    : signer_(tlog::MakeTestSigner(name, seed_text)) {}

std::int64_t TestDatabase::Add(std::string_view module, std::string_view version,
                               std::string_view text) {
  MODPROXY_CHECK(tlog::FormatRecord(0, text).has_value());
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string key = std::string(module) + "@" + std::string(version);
  if (const auto found = ids_.find(key); found != ids_.end()) return found->second;
  const auto id = static_cast<std::int64_t>(records_.size());
  std::vector<tlog::Hash> hashes = tlog::StoredHashes(id, text, stored_);
  stored_.insert(stored_.end(), hashes.begin(), hashes.end());
  records_.emplace_back(text);
  ids_.emplace(key, id);
  return id;
}

std::vector<std::string> TestDatabase::GoSumLines(std::string_view module,
                                                  std::string_view version) {
  const std::string mv = std::string(module) + " " + std::string(version);
  return {mv + " h1:" + tlog::FormatHash(tlog::RecordHash("zip " + mv)),
          mv + "/go.mod h1:" + tlog::FormatHash(tlog::RecordHash("mod " + mv))};
}

std::int64_t TestDatabase::AddModule(std::string_view module, std::string_view version) {
  std::string text;
  for (const std::string& line : GoSumLines(module, version)) text += line + "\n";
  return Add(module, version, text);
}

Result<std::string> TestDatabase::Serve(std::string_view path) const {
  if (path == "latest") return SignedTree();
  if (path.starts_with("lookup/")) return ServeLookup(path.substr(7));
  if (path.starts_with("tile/")) return ServeTile(path);
  return NotFound("unknown path " + Quote(path));
}

Result<std::string> TestDatabase::ServeLookup(std::string_view mod_ver) const {
  const std::size_t at = mod_ver.find('@');
  if (at == std::string_view::npos)
    return MakeError(ErrorCode::kInvalidArgument, "invalid module@version syntax");
  Result<std::string> module = protocol::UnescapePath(mod_ver.substr(0, at));
  if (!module) return module.error();
  Result<std::string> version = protocol::UnescapeVersion(mod_ver.substr(at + 1));
  if (!version) return version.error();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = ids_.find(*module + "@" + *version);
  if (found == ids_.end()) return NotFound(*module + "@" + *version);
  Result<std::string> record =
      tlog::FormatRecord(found->second, records_[static_cast<std::size_t>(found->second)]);
  MODPROXY_CHECK(record.has_value());
  return *record + tlog::SignNote(tlog::FormatTree(TreeLocked()), signer_);
}

Result<std::string> TestDatabase::ServeTile(std::string_view path) const {
  Result<tlog::Tile> tile = tlog::ParseTilePath(path);
  if (!tile) return tile.error();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto size = static_cast<std::int64_t>(records_.size());
  const std::int64_t start = tile->n << tile->h;
  if (tile->l < 0) {
    // Data tiles as x/mod's server writes them: FormatRecord of each record.
    if (start + tile->w > size) return NotFound("tile " + Quote(path));
    std::string body;
    for (std::int64_t i = start; i < start + tile->w; ++i) {
      body += *tlog::FormatRecord(i, records_[static_cast<std::size_t>(i)]);
    }
    return body;
  }
  const int shift = tile->h * tile->l;
  const std::int64_t available = shift >= 63 ? 0 : size >> shift;
  if (start + tile->w > available) return NotFound("tile " + Quote(path));
  tlog::VectorHashReader reader(stored_);
  return tlog::ReadTileData(*tile, reader);
}

std::string TestDatabase::SignedTree() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tlog::SignNote(tlog::FormatTree(TreeLocked()), signer_);
}

tlog::Tree TestDatabase::tree() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return TreeLocked();
}

tlog::Tree TestDatabase::TreeLocked() const {
  const auto size = static_cast<std::int64_t>(records_.size());
  tlog::VectorHashReader reader(stored_);
  Result<tlog::Hash> hash = tlog::TreeHash(size, reader);
  MODPROXY_CHECK(hash.has_value());
  return tlog::Tree{size, *hash};
}

std::int64_t TestDatabase::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<std::int64_t>(records_.size());
}

std::string TestDatabase::VerifierKey() const { return tlog::FormatVerifierKey(signer_); }

tlog::Verifier TestDatabase::verifier() const {
  Result<tlog::Verifier> verifier = tlog::ParseVerifierKey(VerifierKey());
  MODPROXY_CHECK(verifier.has_value());
  return *verifier;
}

}  // namespace modproxy::sumdb
