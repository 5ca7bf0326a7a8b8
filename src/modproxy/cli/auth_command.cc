// `modproxy auth token NAME` and `modproxy auth hash`: tokens for the auth
// file (--auth-file), which stores only their SHA-256.
#include <cstdio>
#include <memory>
#include <string>

#include "modproxy/cli/subcommand.h"
#include "modproxy/policy/auth_table.h"

namespace modproxy::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
// A token is 47 bytes; anything far longer on stdin is a mistake.
constexpr std::size_t kMaxTokenBytes = 4096;

int Fail(const std::string& command, int code, const std::string& message) {
  std::fprintf(stderr, "modproxy auth %s: %s\n", command.c_str(), message.c_str());
  return code;
}

int Print(const std::string& command, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    return Fail(command, kExitFailed, "cannot write to stdout");
  }
  return kExitOk;
}

// Line 1 is the token alone, so that scripts can take it with `head -1`.
int NewTokenFor(const std::string& name) {
  if (!policy::IsIdentityName(name)) {
    return Fail("token", kExitUsage, "invalid name \"" + name + "\" (want [A-Za-z0-9._@-]+)");
  }
  const std::string token = policy::NewToken();
  return Print("token", token + "\n\n[[identity]]\nname = \"" + name + "\"\nsecrets = [\"" +
                            policy::HashToken(token) + "\"]\n");
}

int HashStdin() {
  std::string token;
  char buffer[1024];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, stdin)) > 0) {
    token.append(buffer, n);
    if (token.size() > kMaxTokenBytes) return Fail("hash", kExitUsage, "stdin is not one token");
  }
  if (std::ferror(stdin)) return Fail("hash", kExitFailed, "cannot read stdin");
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.empty()) return Fail("hash", kExitUsage, "no token on stdin");
  if (token.find_first_of("\r\n") != std::string::npos) {
    return Fail("hash", kExitUsage, "stdin holds several lines; want one token");
  }
  return Print("hash", policy::HashToken(token) + "\n");
}

}  // namespace

RunSubcommand AddAuthCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("auth", "make tokens for the auth file (--auth-file)");
  command->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  CLI::App* token = command->add_subcommand(
      "token", "print a new random token and the [[identity]] block that accepts it");
  token->add_option("name", *name, "the identity's name, [A-Za-z0-9._@-]+")->required();
  command->add_subcommand("hash", "read a token on stdin and print its sha256:<hex> secret");
  command->footer(
      "`auth token NAME` prints the token on line 1, then a blank line and an [[identity]]\n"
      "block to paste into the auth file (which keeps only the hash: the token is shown\n"
      "once). Add more secrets to an entry to rotate tokens; send SIGHUP to reload.\n"
      "`auth hash` reads one token from stdin (a trailing newline is ignored).\n"
      "Exit status: 0 printed, 1 I/O error, 2 usage error.");
  return [name, token] { return token->parsed() ? NewTokenFor(*name) : HashStdin(); };
}

}  // namespace modproxy::cli
