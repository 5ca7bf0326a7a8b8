#include "modproxy/git/fetch_child.h"

#include <git2.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "modproxy/git/fetch_protocol.h"
#include "modproxy/git/git_ptr.h"
#include "modproxy/git/libgit2_init.h"

namespace modproxy::git {
namespace {

struct FetchState {
  const FetchInput* input = nullptr;
  int credential_attempts = 0;
  bool credentials_rejected = false;
  bool too_large = false;
};

struct Outcome {
  int exit_code = kFetchExitOk;
  std::string message;
};

int OnCredentials(git_credential** out, const char* /*url*/, const char* username_from_url,
                  unsigned int allowed, void* payload) {
  auto* state = static_cast<FetchState*>(payload);
  if (!state->input->credentials) return GIT_PASSTHROUGH;
  // libgit2 asks again after every rejection; the same answer cannot succeed.
  if (state->credential_attempts++ > 0) {
    state->credentials_rejected = true;
    return GIT_EAUTH;
  }
  const Credentials& c = *state->input->credentials;
  const std::string url_user = username_from_url != nullptr ? username_from_url : "";
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0 && !c.ssh_private_key.empty()) {
    // For SSH the user is part of the address (git@host), as for ssh itself.
    std::string user = !url_user.empty() ? url_user : !c.username.empty() ? c.username : "git";
    return git_credential_ssh_key_new(
        out, user.c_str(), c.ssh_public_key.empty() ? nullptr : c.ssh_public_key.c_str(),
        c.ssh_private_key.c_str(), c.ssh_passphrase.empty() ? nullptr : c.ssh_passphrase.c_str());
  }
  std::string user = !c.username.empty() ? c.username : !url_user.empty() ? url_user : "git";
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 && !c.password.empty()) {
    return git_credential_userpass_plaintext_new(out, user.c_str(), c.password.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_USERNAME) != 0) {
    return git_credential_username_new(out, user.c_str());
  }
  return GIT_PASSTHROUGH;
}

int OnTransferProgress(const git_indexer_progress* stats, void* payload) {
  auto* state = static_cast<FetchState*>(payload);
  std::uint64_t limit = state->input->max_repo_bytes;
  if (limit != 0 && stats->received_bytes > limit) {
    state->too_large = true;
    return -1;
  }
  return 0;
}

std::string OneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Whether a failure to connect means the repository does not exist (the
// go command's 404 class), as opposed to a server or network problem.
bool LooksLikeNotFound(const std::string& message) {
  const std::string m = Lower(message);
  for (const char* marker :
       {"404", "repository not found", "could not find repository", "failed to resolve path",
        "no such file or directory", "does not exist", "not a git repository"}) {
    if (m.find(marker) != std::string::npos) return true;
  }
  return false;
}

Outcome Failure(std::string_view url, std::string_view what) {
  return {kFetchExitUnavailable, "git fetch of " + RedactUrl(url) + ": " + std::string(what) +
                                     ": " + OneLine(LastGitErrorMessage("libgit2 error"))};
}

// libgit2 says nothing useful when the credentials callback gives up, and
// "no callback set" when there were no credentials to offer.
std::optional<Outcome> AuthFailure(std::string_view url, const FetchState& state) {
  if (state.credentials_rejected) {
    return Outcome{kFetchExitUnavailable,
                   "git fetch of " + RedactUrl(url) + ": authentication failed"};
  }
  if (Lower(LastGitErrorMessage("")).find("authentication required") != std::string::npos) {
    return Outcome{kFetchExitUnavailable, "git fetch of " + RedactUrl(url) +
                                              ": authentication required, and no credentials "
                                              "are configured for this repository"};
  }
  return std::nullopt;
}

Outcome TooLarge(std::string_view url, std::uint64_t limit) {
  return {kFetchExitTooLarge, "repository " + RedactUrl(url) + " is larger than the limit of " +
                                  std::to_string(limit) + " bytes"};
}

Result<RepositoryPtr> OpenOrInit(const std::string& dir) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, dir.c_str()) != 0 &&
      git_repository_init(&raw, dir.c_str(), /*is_bare=*/1) != 0) {
    return MakeError(ErrorCode::kStorage, "cannot create git mirror in " + dir + ": " +
                                              OneLine(LastGitErrorMessage("libgit2 error")));
  }
  RepositoryPtr repo(raw);
  // The go command archives with -c core.autocrlf=input -c core.eol=lf. The
  // mirror reader applies them itself (worktree_convert.h); they are stored
  // too so that libgit2 filters or git run on the mirror agree with it.
  git_config* raw_config = nullptr;
  if (git_repository_config(&raw_config, repo.get()) != 0) {
    return MakeError(ErrorCode::kStorage, "cannot configure git mirror in " + dir);
  }
  ConfigPtr config(raw_config);
  if (git_config_set_string(config.get(), "core.autocrlf", "input") != 0 ||
      git_config_set_string(config.get(), "core.eol", "lf") != 0) {
    return MakeError(ErrorCode::kStorage, "cannot configure git mirror in " + dir + ": " +
                                              OneLine(LastGitErrorMessage("libgit2 error")));
  }
  return repo;
}

// Points HEAD where the remote's HEAD points: its default branch, or, when
// the remote reports a detached HEAD, that commit if it was fetched.
void UpdateHead(git_repository* repo, git_remote* remote) {
  OwnedBuf branch;
  if (git_remote_default_branch(&branch.buf, remote) == 0) {
    git_reference* ref = nullptr;
    if (git_reference_symbolic_create(&ref, repo, "HEAD", branch.buf.ptr, /*force=*/1,
                                      "modproxy fetch") == 0) {
      git_reference_free(ref);
    }
    return;
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (git_remote_ls(&heads, &count, remote) != 0) return;
  for (size_t i = 0; i < count; ++i) {
    if (std::string_view(heads[i]->name) != "HEAD") continue;
    git_object* obj = nullptr;
    if (git_object_lookup(&obj, repo, &heads[i]->oid, GIT_OBJECT_COMMIT) == 0) {
      git_object_free(obj);
      git_repository_set_head_detached(repo, &heads[i]->oid);
    }
  }
}

Outcome Fetch(const std::string& dir, const std::string& url, const FetchInput& input) {
  Result<RepositoryPtr> repo = OpenOrInit(dir);
  if (!repo) return {kFetchExitUnavailable, repo.error().message};
  git_remote* raw_remote = nullptr;
  if (git_remote_create_anonymous(&raw_remote, repo->get(), url.c_str()) != 0) {
    return Failure(url, "bad repository URL");
  }
  RemotePtr remote(raw_remote);

  FetchState state{&input};
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  callbacks.credentials = &OnCredentials;
  callbacks.transfer_progress = &OnTransferProgress;
  callbacks.payload = &state;
  git_remote_redirect_t redirects =
      input.follow_redirects ? GIT_REMOTE_REDIRECT_INITIAL : GIT_REMOTE_REDIRECT_NONE;

  git_remote_connect_options connect = GIT_REMOTE_CONNECT_OPTIONS_INIT;
  connect.callbacks = callbacks;
  connect.proxy_opts.type = GIT_PROXY_AUTO;
  connect.follow_redirects = redirects;
  if (git_remote_connect_ext(remote.get(), GIT_DIRECTION_FETCH, &connect) != 0) {
    if (std::optional<Outcome> auth = AuthFailure(url, state)) return *auth;
    Outcome failure = Failure(url, "cannot read the repository");
    if (LooksLikeNotFound(failure.message)) {
      failure.exit_code = kFetchExitNotFound;
      failure.message = "repository " + RedactUrl(url) +
                        " not found: " + OneLine(LastGitErrorMessage("libgit2 error"));
    }
    return failure;
  }

  // A mirror: every branch and tag under its own name, forced, and refs the
  // remote dropped are pruned (git fetch --prune with the go command's specs).
  char heads_spec[] = "+refs/heads/*:refs/heads/*";
  char tags_spec[] = "+refs/tags/*:refs/tags/*";
  char* specs[] = {heads_spec, tags_spec};
  git_strarray refspecs = {specs, 2};
  git_fetch_options fetch = GIT_FETCH_OPTIONS_INIT;
  fetch.callbacks = callbacks;
  fetch.proxy_opts.type = GIT_PROXY_AUTO;
  fetch.follow_redirects = redirects;
  fetch.prune = GIT_FETCH_PRUNE;
  fetch.update_fetchhead = 0;
  fetch.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  if (git_remote_download(remote.get(), &refspecs, &fetch) != 0) {
    if (state.too_large) return TooLarge(url, input.max_repo_bytes);
    if (std::optional<Outcome> auth = AuthFailure(url, state)) return *auth;
    return Failure(url, "download failed");
  }
  if (git_remote_update_tips(remote.get(), &callbacks, /*update_fetchhead=*/0,
                             GIT_REMOTE_DOWNLOAD_TAGS_NONE, "modproxy fetch") != 0) {
    return Failure(url, "updating refs failed");
  }
  if (git_remote_prune(remote.get(), &callbacks) != 0) {
    return Failure(url, "pruning refs failed");
  }
  UpdateHead(repo->get(), remote.get());
  git_remote_disconnect(remote.get());
  return {};
}

std::string ReadAllStdin() {
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return text;
    }
  }
}

}  // namespace

int RunFetchChild(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <mirror-dir> <url> (request as JSON on stdin)\n",
                 argc > 0 ? argv[0] : "git-fetch-child");
    return kFetchExitUsage;
  }
  const std::string dir = argv[1];
  const std::string url = argv[2];
  Result<FetchInput> input = DecodeFetchInput(ReadAllStdin());
  if (!input) {
    std::fprintf(stderr, "%s\n", input.error().message.c_str());
    return kFetchExitUsage;
  }
  EnsureLibgit2();
  Outcome outcome = Fetch(dir, url, *input);
  if (outcome.exit_code != kFetchExitOk) {
    std::string message = RedactSecrets(OneLine(outcome.message), input->credentials, url);
    std::fprintf(stderr, "%s\n", message.c_str());
  }
  return outcome.exit_code;
}

}  // namespace modproxy::git
