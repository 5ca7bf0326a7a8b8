#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/vcs/git_repo.h"

// An in-memory GitRepo for tests: commits with times, parents and full
// trees, and refs. Hashes are made-up 40-hex strings unless given.
namespace modproxy::vcs {

class FakeGitRepo : public GitRepo {
 public:
  struct File {
    std::string content;
    TreeEntryKind kind = TreeEntryKind::kFile;
  };
  using Tree = std::map<std::string, File>;

  // Adds a commit and returns its hash.
  std::string AddCommit(std::int64_t time, std::vector<std::string> parents, Tree tree,
                        std::string hash = "") {
    if (hash.empty()) hash = MakeHash(commits_.size() + 1);
    commits_[hash] = Node{time, std::move(parents), std::move(tree)};
    return hash;
  }
  // Plain text files.
  std::string AddCommit(std::int64_t time, std::vector<std::string> parents,
                        const std::map<std::string, std::string>& files, std::string hash = "") {
    Tree tree;
    for (const auto& [path, content] : files) tree[path] = File{content, TreeEntryKind::kFile};
    return AddCommit(time, std::move(parents), std::move(tree), std::move(hash));
  }

  void SetRef(const std::string& name, const std::string& commit) { refs_[name] = commit; }
  void Tag(const std::string& tag, const std::string& commit) {
    refs_["refs/tags/" + tag] = commit;
  }
  void Branch(const std::string& b, const std::string& commit) {
    refs_["refs/heads/" + b] = commit;
  }
  void DeleteRef(const std::string& name) { refs_.erase(name); }

  int read_file_calls() const { return read_file_calls_; }

  Result<std::vector<GitRef>> Refs() override {
    std::vector<GitRef> out;
    for (const auto& [name, commit] : refs_) out.push_back(GitRef{name, commit});
    return out;
  }

  Result<GitCommit> Commit(std::string_view rev) override {
    std::optional<std::string> found;
    for (const auto& [hash, node] : commits_) {
      if (rev.size() >= 4 && hash.starts_with(rev)) {
        if (found) return NotFound(rev);
        found = hash;
      }
    }
    if (!found) return NotFound(rev);
    return GitCommit{*found, commits_.at(*found).time};
  }

  Result<bool> IsAncestor(std::string_view ancestor, std::string_view descendant) override {
    std::deque<std::string> queue{std::string(descendant)};
    std::set<std::string> seen;
    while (!queue.empty()) {
      std::string c = std::move(queue.front());
      queue.pop_front();
      if (c == ancestor) return true;
      if (!seen.insert(c).second) continue;
      auto it = commits_.find(c);
      if (it == commits_.end()) continue;
      for (const std::string& p : it->second.parents) queue.push_back(p);
    }
    return false;
  }

  Result<std::optional<std::string>> ReadFile(std::string_view commit, std::string_view path,
                                              std::uint64_t max_bytes) override {
    ++read_file_calls_;
    auto it = commits_.find(std::string(commit));
    if (it == commits_.end()) return NotFound(commit);
    auto f = it->second.tree.find(std::string(path));
    if (f == it->second.tree.end() || f->second.kind == TreeEntryKind::kSubmodule) {
      return std::optional<std::string>();
    }
    if (f->second.content.size() > max_bytes) {
      return MakeError(ErrorCode::kUpstreamInvalid, "file too large");
    }
    return std::optional<std::string>(f->second.content);
  }

  Result<std::vector<TreeEntry>> ListTree(std::string_view commit) override {
    auto it = commits_.find(std::string(commit));
    if (it == commits_.end()) return NotFound(commit);
    std::vector<TreeEntry> out;
    for (const auto& [path, f] : it->second.tree) {
      out.push_back(
          TreeEntry{path, f.kind, f.kind == TreeEntryKind::kSubmodule ? 0 : f.content.size()});
    }
    return out;
  }

  Result<std::string> ReadArchiveFile(std::string_view commit, std::string_view path,
                                      std::uint64_t max_bytes) override {
    Result<std::optional<std::string>> f = ReadFile(commit, path, max_bytes);
    if (!f) return f.error();
    if (!f->has_value()) return NotFound(path);
    return **f;
  }

  static std::string MakeHash(std::uint64_t n) {
    // A spread-out 40-hex hash, so that 12-digit prefixes differ.
    std::uint64_t x = n * 0x9E3779B97F4A7C15ULL;
    std::string out;
    char buf[17];
    for (int i = 0; i < 3; ++i) {
      x ^= x >> 31;
      x *= 0xBF58476D1CE4E5B9ULL;
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
      out += buf;
    }
    return out.substr(0, 40);
  }

 private:
  struct Node {
    std::int64_t time;
    std::vector<std::string> parents;
    Tree tree;
  };
  static Error NotFound(std::string_view rev) {
    return MakeError(ErrorCode::kNotFound, "unknown revision " + std::string(rev));
  }

  std::map<std::string, Node> commits_;
  std::map<std::string, std::string> refs_;
  int read_file_calls_ = 0;
};

}  // namespace modproxy::vcs
