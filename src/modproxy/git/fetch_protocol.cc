#include "modproxy/git/fetch_protocol.h"

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace modproxy::git {
namespace {

// The password part of "scheme://user:password@host/...", or "".
std::string_view UrlPassword(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view userinfo = authority.substr(0, at);
  size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return {};
  return userinfo.substr(colon + 1);
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void ReplaceAll(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 5)) {
    text.replace(pos, secret.size(), "xxxxx");
  }
}

}  // namespace

std::string EncodeFetchInput(const FetchInput& input) {
  nlohmann::json j = {{"max_repo_bytes", input.max_repo_bytes},
                      {"follow_redirects", input.follow_redirects}};
  if (input.credentials) {
    const Credentials& c = *input.credentials;
    j["credentials"] = {{"username", c.username},
                        {"password", c.password},
                        {"ssh_private_key", c.ssh_private_key},
                        {"ssh_public_key", c.ssh_public_key},
                        {"ssh_passphrase", c.ssh_passphrase}};
  }
  return j.dump();
}

Result<FetchInput> DecodeFetchInput(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("max_repo_bytes") ||
      !j["max_repo_bytes"].is_number_unsigned() || !j.contains("follow_redirects") ||
      !j["follow_redirects"].is_boolean()) {
    return MakeError(ErrorCode::kInvalidArgument, "malformed fetch request on stdin");
  }
  FetchInput input;
  input.max_repo_bytes = j["max_repo_bytes"].get<std::uint64_t>();
  input.follow_redirects = j["follow_redirects"].get<bool>();
  if (j.contains("credentials")) {
    const nlohmann::json& c = j["credentials"];
    if (!c.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "malformed credentials on stdin");
    }
    Credentials creds;
    std::pair<const char*, std::string*> fields[] = {{"username", &creds.username},
                                                     {"password", &creds.password},
                                                     {"ssh_private_key", &creds.ssh_private_key},
                                                     {"ssh_public_key", &creds.ssh_public_key},
                                                     {"ssh_passphrase", &creds.ssh_passphrase}};
    for (auto& [name, field] : fields) {
      if (!c.contains(name)) continue;
      if (!c[name].is_string()) {
        return MakeError(ErrorCode::kInvalidArgument, "malformed credentials on stdin");
      }
      *field = c[name].get<std::string>();
    }
    input.credentials = std::move(creds);
  }
  return input;
}

std::string RedactUrl(std::string_view url) {
  std::string_view password = UrlPassword(url);
  if (password.empty()) return std::string(url);
  size_t start = static_cast<size_t>(password.data() - url.data());
  return std::string(url.substr(0, start)) + "xxxxx" +
         std::string(url.substr(start + password.size()));
}

std::string RedactSecrets(std::string text, const std::optional<Credentials>& credentials,
                          std::string_view url) {
  std::vector<std::string> secrets;
  if (credentials) {
    secrets.push_back(credentials->password);
    secrets.push_back(credentials->ssh_passphrase);
  }
  std::string_view url_password = UrlPassword(url);
  secrets.emplace_back(url_password);
  secrets.push_back(PercentDecode(url_password));
  for (const std::string& secret : secrets) ReplaceAll(text, secret);
  return text;
}

}  // namespace modproxy::git
