#pragma once

#include <string>
#include <vector>

#include "modproxy/cache/sum_verifier.h"
#include "modproxy/storage/storage.h"
#include "modproxy/verify/cached_files.h"

namespace modproxy::verify {

struct FileVerdict {
  std::vector<std::string> problems;  // empty: the file checks out
  std::string h1;                     // computed now; "" when it could not be
  bool recorded = false;              // a go.sum line was recorded at fetch time
  bool checked_online = false;        // the checksum database vouched for it now
};

// Re-verifies one cached file: a zip against the module zip rules, then its
// h1 (or the .mod's) against the go.sum line recorded when it was fetched
// (storage key cache::SumKeyFor), then, when `online` is given, against the
// checksum database. `storage` is the same cache, to read the records.
FileVerdict CheckCachedFile(const CachedFile& file, storage::Storage& storage,
                            cache::SumVerifier* online);

}  // namespace modproxy::verify
