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

std::string KeyFor(const protocol::SumdbRequest& request) {
  return "sumdb/" + request.name + "/" + request.rest;
}

}  // namespace modproxy::cache
