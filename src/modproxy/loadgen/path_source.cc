#include "modproxy/loadgen/path_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "modproxy/core/check.h"
#include "modproxy/protocol/module_path.h"

namespace modproxy::loadgen {
namespace {

namespace fs = std::filesystem;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::string_view Trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// RFC 3986 pchar plus '/': what may stay raw in a path. Escaped module paths
// are lowercase ASCII with '!', so in practice nothing is encoded; odd names
// in a copied tree still produce a valid request line.
bool RawInPath(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

std::string PercentEncodePath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (RawInPath(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Whether a file at `rel` (relative, '/'-separated) is a selected endpoint.
bool Selected(std::string_view rel, const Endpoints& endpoints) {
  const std::size_t slash = rel.rfind('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view dir = rel.substr(0, slash);
  const std::string_view name = rel.substr(slash + 1);
  if (dir != "@v" && !EndsWith(dir, "/@v")) return false;
  if (dir == "@v") return false;  // "@v" needs a module path in front of it
  if (name == "list") return endpoints.list;
  if (EndsWith(name, ".info") && name.size() > 5) return endpoints.info;
  if (EndsWith(name, ".mod") && name.size() > 4) return endpoints.mod;
  if (EndsWith(name, ".zip") && name.size() > 4) return endpoints.zip;
  return false;
}

struct BuiltinModule {
  const char* path;
  const char* version;
};

// Widely used modules and versions that every public proxy has; the mix of
// hosts (github.com, golang.org, gopkg.in, go.uber.org, google.golang.org) and
// the upper-case paths exercise case escaping and path routing.
constexpr BuiltinModule kBuiltinModules[] = {
    {"github.com/pkg/errors", "v0.9.1"},
    {"golang.org/x/text", "v0.3.7"},
    {"github.com/google/uuid", "v1.3.0"},
    {"gopkg.in/yaml.v3", "v3.0.1"},
    {"github.com/stretchr/testify", "v1.8.0"},
    {"github.com/sirupsen/logrus", "v1.9.0"},
    {"github.com/spf13/cobra", "v1.6.1"},
    {"golang.org/x/sys", "v0.5.0"},
    {"github.com/spf13/pflag", "v1.0.5"},
    {"github.com/davecgh/go-spew", "v1.1.1"},
    {"github.com/pmezard/go-difflib", "v1.0.0"},
    {"github.com/golang/protobuf", "v1.5.2"},
    {"google.golang.org/protobuf", "v1.28.1"},
    {"github.com/BurntSushi/toml", "v1.2.1"},
    {"golang.org/x/net", "v0.7.0"},
    {"github.com/gorilla/mux", "v1.8.0"},
    {"github.com/go-chi/chi/v5", "v5.0.8"},
    {"go.uber.org/zap", "v1.24.0"},
    {"github.com/prometheus/client_golang", "v1.14.0"},
    {"github.com/cespare/xxhash/v2", "v2.2.0"},
    {"github.com/Masterminds/semver/v3", "v3.2.0"},
    {"github.com/mattn/go-isatty", "v0.0.17"},
    {"gopkg.in/yaml.v2", "v2.4.0"},
    {"golang.org/x/mod", "v0.8.0"},
    {"github.com/google/go-cmp", "v0.5.9"},
};

}  // namespace

Result<Endpoints> ParseEndpoints(std::string_view text) {
  Endpoints endpoints;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view name = Trim(text.substr(0, comma));
    if (name == "info") {
      endpoints.info = true;
    } else if (name == "mod") {
      endpoints.mod = true;
    } else if (name == "zip") {
      endpoints.zip = true;
    } else if (name == "list") {
      endpoints.list = true;
    } else {
      return Invalid("--endpoints \"" + std::string(text) + "\": unknown endpoint \"" +
                     std::string(name) + "\" (use info, mod, zip, list)");
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return endpoints;
}

Result<std::vector<std::string>> LoadPathsFile(const std::string& file) {
  std::ifstream in(file);
  if (!in) return MakeError(ErrorCode::kNotFound, "--paths " + file + ": cannot read the file");
  std::vector<std::string> paths;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view path = Trim(line);
    if (path.empty() || path.front() == '#') continue;
    if (path.front() != '/') {
      return Invalid("--paths " + file + ":" + std::to_string(number) + ": \"" + std::string(path) +
                     "\" does not start with '/'");
    }
    if (path.find_first_of(" \t") != std::string_view::npos) {
      return Invalid("--paths " + file + ":" + std::to_string(number) + ": \"" + std::string(path) +
                     "\" contains whitespace");
    }
    paths.emplace_back(path);
  }
  if (in.bad()) return MakeError(ErrorCode::kNotFound, "--paths " + file + ": read error");
  return paths;
}

Result<std::vector<std::string>> WalkCache(const std::string& dir, const Endpoints& endpoints) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return MakeError(ErrorCode::kNotFound, "--from-cache " + dir + ": not a directory");
  }
  std::vector<std::string> paths;
  const fs::path root(dir);
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec)) {
      if (!name.empty() && name.front() == '.') it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = it->path().lexically_relative(root).generic_string();
    if (Selected(rel, endpoints)) paths.push_back(PercentEncodePath("/" + rel));
  }
  if (ec) return MakeError(ErrorCode::kNotFound, "--from-cache " + dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::vector<std::string> BuiltinPaths(const Endpoints& endpoints) {
  std::vector<std::string> paths;
  for (const BuiltinModule& module : kBuiltinModules) {
    Result<std::string> path = protocol::EscapePath(module.path);
    Result<std::string> version = protocol::EscapeVersion(module.version);
    MODPROXY_CHECK(path && version);  // the table is ours: a failure is a typo in it
    const std::string base = "/" + *path + "/@v/";
    if (endpoints.info) paths.push_back(base + *version + ".info");
    if (endpoints.mod) paths.push_back(base + *version + ".mod");
    if (endpoints.zip) paths.push_back(base + *version + ".zip");
    if (endpoints.list) paths.push_back(base + "list");
  }
  return paths;
}

}  // namespace modproxy::loadgen
