#include "modproxy/verify/check_cached.h"

#include "modproxy/cache/keys.h"
#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/dirhash.h"
#include "modproxy/protocol/module_path.h"

namespace modproxy::verify {
namespace {

std::string Name(const CachedFile& file) {
  return file.escaped_module + "/@v/" + file.escaped_version + (file.go_mod ? ".mod" : ".zip");
}

}  // namespace

FileVerdict CheckCachedFile(const CachedFile& file, storage::Storage& storage,
                            cache::SumVerifier* online) {
  FileVerdict verdict;
  const std::string name = Name(file);
  if (file.module.empty() || file.version.empty() ||
      !protocol::CheckModuleVersion(file.module, file.version)) {
    verdict.problems.push_back(name + ": not a valid module path and version");
    return verdict;
  }
  if (file.go_mod) {
    Result<std::string> mod = storage.Get(name);
    if (!mod) {
      verdict.problems.push_back(name + ": cannot read: " + mod.error().message);
      return verdict;
    }
    verdict.h1 = protocol::HashGoMod(*mod);
  } else {
    Result<std::unique_ptr<protocol::ZipSource>> source = modzip::OpenZipFile(file.path);
    if (!source) {
      verdict.problems.push_back(name + ": cannot read: " + source.error().message);
      return verdict;
    }
    Result<modzip::ZipInspection> inspected =
        modzip::InspectZip(**source, file.module, file.version);
    if (!inspected) {
      verdict.problems.push_back(name + ": cannot read: " + inspected.error().message);
      return verdict;
    }
    for (const std::string& violation : inspected->violations) {
      verdict.problems.push_back(name + ": " + violation);
    }
    if (!inspected->violations.empty()) return verdict;
    verdict.h1 = inspected->h1;
  }

  const std::string line = cache::SumLine(file.module, file.version, file.go_mod, verdict.h1);
  Result<std::string> recorded =
      storage.Get(cache::SumKeyFor(file.escaped_module, file.escaped_version, file.go_mod));
  if (recorded) {
    verdict.recorded = true;
    if (*recorded != line) {
      std::string was = *recorded;
      if (!was.empty() && was.back() == '\n') was.pop_back();
      verdict.problems.push_back(name + ": content changed since it was fetched: now " +
                                 verdict.h1 + ", recorded \"" + was + "\"");
    }
  } else if (recorded.error().code != ErrorCode::kNotFound) {
    verdict.problems.push_back(name +
                               ": cannot read its recorded sum: " + recorded.error().message);
  }

  if (online != nullptr) {
    Result<cache::SumVerdict> checked =
        online->Check(file.module, file.version, file.go_mod, verdict.h1);
    if (!checked) {
      verdict.problems.push_back(name + ": " + checked.error().message);
    } else {
      verdict.checked_online = !checked->database.empty();
    }
  }
  return verdict;
}

}  // namespace modproxy::verify
