#include "modproxy/cache/keys.h"

namespace modproxy::cache {

std::string KeyFor(const protocol::ModuleRequest& request) {
  const std::string& m = request.escaped_module;
  switch (request.endpoint) {
    case protocol::ModuleEndpoint::kList:
      return m + "/@v/list";
    case protocol::ModuleEndpoint::kLatest:
      return m + "/@latest";
    case protocol::ModuleEndpoint::kInfo:
      return m + "/@v/" + request.escaped_version + ".info";
    case protocol::ModuleEndpoint::kMod:
      return m + "/@v/" + request.escaped_version + ".mod";
    case protocol::ModuleEndpoint::kZip:
      return m + "/@v/" + request.escaped_version + ".zip";
  }
  return m;
}

std::string InfoKeyFor(std::string_view escaped_module, std::string_view escaped_version) {
  return std::string(escaped_module) + "/@v/" + std::string(escaped_version) + ".info";
}

std::string SumKeyFor(std::string_view escaped_module, std::string_view escaped_version,
                      bool go_mod) {
  return ".modproxy/sums/" + std::string(escaped_module) + "/@v/" + std::string(escaped_version) +
         (go_mod ? ".mod" : ".zip");
}

std::string SumLine(std::string_view module, std::string_view version, bool go_mod,
                    std::string_view h1) {
  return std::string(module) + " " + std::string(version) + (go_mod ? "/go.mod " : " ") +
         std::string(h1) + "\n";
}

std::string KeyFor(const protocol::SumdbRequest& request) {
  return "sumdb/" + request.name + "/" + request.rest;
}

}  // namespace modproxy::cache
