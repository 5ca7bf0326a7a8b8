#include "modproxy/git/mirror_repo.h"

#include <git2.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/git/git_ptr.h"
#include "modproxy/git/libgit2_init.h"
#include "modproxy/git/worktree_convert.h"

namespace modproxy::git {
namespace {

std::string OidHex(const git_oid& oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

Error UnknownRevision(std::string_view rev) {
  return MakeError(ErrorCode::kNotFound, "unknown revision " + std::string(rev));
}

Error GitFailure(std::string_view what) {
  return MakeError(ErrorCode::kUnavailable,
                   std::string(what) + ": " + LastGitErrorMessage("libgit2 error"));
}

Error TooLarge(std::string_view commit, std::string_view path, std::uint64_t max_bytes) {
  return MakeError(ErrorCode::kUpstreamInvalid, std::string(commit) + ":" + std::string(path) +
                                                    " is larger than the limit of " +
                                                    std::to_string(max_bytes) + " bytes");
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

class MirrorRepo final : public vcs::GitRepo {
 public:
  explicit MirrorRepo(RepositoryPtr repo) : repo_(std::move(repo)) {}

  Result<std::vector<vcs::GitRef>> Refs() override {
    std::vector<vcs::GitRef> refs;
    if (std::optional<std::string> head = PeeledCommit("HEAD")) {
      refs.push_back({"HEAD", *head});
    }
    git_reference_iterator* raw_iter = nullptr;
    if (git_reference_iterator_new(&raw_iter, repo_.get()) != 0) return GitFailure("listing refs");
    ReferenceIteratorPtr iter(raw_iter);
    const char* name = nullptr;
    int rc = 0;
    while ((rc = git_reference_next_name(&name, iter.get())) == 0) {
      std::string_view n(name);
      if (!n.starts_with("refs/heads/") && !n.starts_with("refs/tags/")) continue;
      // A tag of a tree or blob has no commit; the go command cannot use it either.
      if (std::optional<std::string> commit = PeeledCommit(name)) {
        refs.push_back({std::string(n), *commit});
      }
    }
    if (rc != GIT_ITEROVER) return GitFailure("listing refs");
    return refs;
  }

  Result<vcs::GitCommit> Commit(std::string_view rev) override {
    Result<CommitPtr> commit = LookupCommit(rev);
    if (!commit) return commit.error();
    return vcs::GitCommit{OidHex(*git_commit_id(commit->get())),
                          static_cast<std::int64_t>(git_commit_time(commit->get()))};
  }

  Result<bool> IsAncestor(std::string_view ancestor, std::string_view descendant) override {
    Result<CommitPtr> a = LookupCommit(ancestor);
    if (!a) return a.error();
    Result<CommitPtr> d = LookupCommit(descendant);
    if (!d) return d.error();
    const git_oid* a_id = git_commit_id(a->get());
    const git_oid* d_id = git_commit_id(d->get());
    if (git_oid_equal(a_id, d_id)) return true;
    int rc = git_graph_descendant_of(repo_.get(), d_id, a_id);
    if (rc < 0) return GitFailure("walking history");
    return rc == 1;
  }

  Result<std::optional<std::string>> ReadFile(std::string_view commit, std::string_view path,
                                              std::uint64_t max_bytes) override {
    Result<std::optional<TreeEntryPtr>> entry = LookupEntry(commit, path);
    if (!entry) return entry.error();
    if (!entry->has_value() || git_tree_entry_type(entry->value().get()) != GIT_OBJECT_BLOB) {
      return std::optional<std::string>();
    }
    Result<std::string> bytes =
        ReadBlob(*git_tree_entry_id(entry->value().get()), commit, path, max_bytes);
    if (!bytes) return bytes.error();
    return std::optional<std::string>(std::move(*bytes));
  }

  Result<std::vector<vcs::TreeEntry>> ListTree(std::string_view commit) override {
    Result<CommitPtr> c = LookupCommit(commit);
    if (!c) return c.error();
    git_tree* raw_tree = nullptr;
    if (git_commit_tree(&raw_tree, c->get()) != 0) return GitFailure("reading a tree");
    TreePtr tree(raw_tree);
    WalkState state{this, {}, std::nullopt};
    int rc = git_tree_walk(tree.get(), GIT_TREEWALK_PRE, &MirrorRepo::OnTreeEntry, &state);
    if (state.error) return *state.error;
    if (rc != 0) return GitFailure("walking a tree");
    return std::move(state.entries);
  }

  Result<std::string> ReadArchiveFile(std::string_view commit, std::string_view path,
                                      std::uint64_t max_bytes) override;

 private:
  struct WalkState {
    MirrorRepo* self;
    std::vector<vcs::TreeEntry> entries;
    std::optional<Error> error;
  };

  static int OnTreeEntry(const char* root, const git_tree_entry* entry, void* payload) {
    auto* state = static_cast<WalkState*>(payload);
    vcs::TreeEntry out;
    switch (git_tree_entry_filemode(entry)) {
      case GIT_FILEMODE_TREE:
        return 0;
      case GIT_FILEMODE_COMMIT:
        out.kind = vcs::TreeEntryKind::kSubmodule;
        break;
      case GIT_FILEMODE_LINK:
        out.kind = vcs::TreeEntryKind::kSymlink;
        break;
      case GIT_FILEMODE_BLOB_EXECUTABLE:
        out.kind = vcs::TreeEntryKind::kExecutable;
        break;
      default:
        out.kind = vcs::TreeEntryKind::kFile;
        break;
    }
    out.path = std::string(root) + git_tree_entry_name(entry);
    if (out.kind != vcs::TreeEntryKind::kSubmodule) {
      Result<std::uint64_t> size = state->self->BlobSize(*git_tree_entry_id(entry));
      if (!size) {
        state->error = size.error();
        return -1;
      }
      out.size = *size;
    }
    state->entries.push_back(std::move(out));
    return 0;
  }

  // The commit a ref ends at, or nullopt (unborn HEAD, a tag of a tree).
  std::optional<std::string> PeeledCommit(const char* ref_name) {
    git_reference* raw_ref = nullptr;
    if (git_reference_lookup(&raw_ref, repo_.get(), ref_name) != 0) return std::nullopt;
    ReferencePtr ref(raw_ref);
    git_object* raw_obj = nullptr;
    if (git_reference_peel(&raw_obj, ref.get(), GIT_OBJECT_COMMIT) != 0) return std::nullopt;
    ObjectPtr obj(raw_obj);
    return OidHex(*git_object_id(obj.get()));
  }

  // A full hash or a prefix of at least 4 hex digits; an annotated tag's hash
  // peels to its commit, as `git log <rev>` (the go command's stat) does.
  Result<CommitPtr> LookupCommit(std::string_view rev) {
    if (rev.size() < GIT_OID_MINPREFIXLEN || rev.size() > GIT_OID_HEXSZ || !IsHex(rev)) {
      return UnknownRevision(rev);
    }
    git_oid oid;
    if (git_oid_fromstrn(&oid, rev.data(), rev.size()) != 0) return UnknownRevision(rev);
    git_object* raw_obj = nullptr;
    int rc = git_object_lookup_prefix(&raw_obj, repo_.get(), &oid, rev.size(), GIT_OBJECT_ANY);
    if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS) return UnknownRevision(rev);
    if (rc != 0) return GitFailure("looking up " + std::string(rev));
    ObjectPtr obj(raw_obj);
    git_object* raw_commit = nullptr;
    if (git_object_peel(&raw_commit, obj.get(), GIT_OBJECT_COMMIT) != 0) {
      return UnknownRevision(rev);
    }
    return CommitPtr(reinterpret_cast<git_commit*>(raw_commit));
  }

  // The entry at commit:path; nullopt when the path does not exist.
  Result<std::optional<TreeEntryPtr>> LookupEntry(std::string_view commit, std::string_view path) {
    Result<CommitPtr> c = LookupCommit(commit);
    if (!c) return c.error();
    git_tree* raw_tree = nullptr;
    if (git_commit_tree(&raw_tree, c->get()) != 0) return GitFailure("reading a tree");
    TreePtr tree(raw_tree);
    git_tree_entry* raw_entry = nullptr;
    int rc = git_tree_entry_bypath(&raw_entry, tree.get(), std::string(path).c_str());
    if (rc == GIT_ENOTFOUND || path.empty()) return std::optional<TreeEntryPtr>();
    if (rc != 0) return GitFailure("looking up " + std::string(path));
    return std::optional<TreeEntryPtr>(TreeEntryPtr(raw_entry));
  }

  // The size from the object header, without inflating the blob.
  Result<std::uint64_t> BlobSize(const git_oid& id) {
    git_odb* raw_odb = nullptr;
    if (git_repository_odb(&raw_odb, repo_.get()) != 0) return GitFailure("opening objects");
    OdbPtr odb(raw_odb);
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb.get(), &id) != 0) {
      return GitFailure("reading object " + OidHex(id));
    }
    return static_cast<std::uint64_t>(size);
  }

  Result<BlobPtr> LookupBlob(const git_oid& id, std::string_view commit, std::string_view path,
                             std::uint64_t max_bytes) {
    Result<std::uint64_t> size = BlobSize(id);
    if (!size) return size.error();
    if (*size > max_bytes) return TooLarge(commit, path, max_bytes);
    git_blob* raw_blob = nullptr;
    if (git_blob_lookup(&raw_blob, repo_.get(), &id) != 0) {
      return GitFailure("reading object " + OidHex(id));
    }
    return BlobPtr(raw_blob);
  }

  Result<std::string> ReadBlob(const git_oid& id, std::string_view commit, std::string_view path,
                               std::uint64_t max_bytes) {
    Result<BlobPtr> blob = LookupBlob(id, commit, path, max_bytes);
    if (!blob) return blob.error();
    const char* data = static_cast<const char*>(git_blob_rawcontent(blob->get()));
    return std::string(data, static_cast<size_t>(git_blob_rawsize(blob->get())));
  }

  // The conversion attributes of `path` as git archive sees them: from the
  // archived commit's .gitattributes files and the mirror's info/attributes,
  // never from the host (system or global files).
  Result<ConversionAttributes> Attributes(const git_oid& commit, std::string_view path) {
    const char* names[] = {"text", "crlf", "eol", "ident", "working-tree-encoding"};
    const char* values[5] = {};
    git_attr_options options = GIT_ATTR_OPTIONS_INIT;
    options.flags =
        GIT_ATTR_CHECK_INDEX_ONLY | GIT_ATTR_CHECK_NO_SYSTEM | GIT_ATTR_CHECK_INCLUDE_COMMIT;
    git_oid_cpy(&options.attr_commit_id, &commit);
    if (git_attr_get_many_ext(values, repo_.get(), &options, std::string(path).c_str(), 5, names) !=
        0) {
      return GitFailure("reading attributes of " + std::string(path));
    }
    ConversionAttributes out;
    AttrValue* fields[] = {&out.text, &out.crlf, &out.eol, &out.ident, &out.working_tree_encoding};
    for (int i = 0; i < 5; ++i) *fields[i] = ToAttrValue(values[i]);
    return out;
  }

  static AttrValue ToAttrValue(const char* value) {
    switch (git_attr_value(value)) {
      case GIT_ATTR_VALUE_TRUE:
        return {AttrValue::State::kSet, ""};
      case GIT_ATTR_VALUE_FALSE:
        return {AttrValue::State::kUnset, ""};
      case GIT_ATTR_VALUE_STRING:
        return {AttrValue::State::kValue, value};
      default:
        return {};
    }
  }

  RepositoryPtr repo_;
};

Result<std::string> MirrorRepo::ReadArchiveFile(std::string_view commit, std::string_view path,
                                                std::uint64_t max_bytes) {
  Result<CommitPtr> c = LookupCommit(commit);
  if (!c) return c.error();
  Result<std::optional<TreeEntryPtr>> entry = LookupEntry(commit, path);
  if (!entry) return entry.error();
  if (!entry->has_value() || git_tree_entry_type(entry->value().get()) != GIT_OBJECT_BLOB) {
    return MakeError(ErrorCode::kNotFound,
                     "file " + std::string(path) + " not found at " + std::string(commit));
  }
  const git_tree_entry* e = entry->value().get();
  // git archive writes a symlink's target as stored: no attribute applies.
  if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
    return ReadBlob(*git_tree_entry_id(e), commit, path, max_bytes);
  }
  Result<std::string> raw = ReadBlob(*git_tree_entry_id(e), commit, path, max_bytes);
  if (!raw) return raw.error();
  Result<ConversionAttributes> attributes = Attributes(*git_commit_id(c->get()), path);
  if (!attributes) return attributes.error();
  Result<std::string> converted =
      ConvertToWorktree(*raw, OidHex(*git_tree_entry_id(e)), *attributes);
  if (!converted) {
    return MakeError(converted.error().code, std::string(commit) + ":" + std::string(path) + ": " +
                                                 converted.error().message);
  }
  if (converted->size() > max_bytes) return TooLarge(commit, path, max_bytes);
  return converted;
}

}  // namespace

Result<std::unique_ptr<vcs::GitRepo>> OpenMirrorRepo(const std::string& dir) {
  EnsureLibgit2();
  git_repository* raw_repo = nullptr;
  if (git_repository_open_bare(&raw_repo, dir.c_str()) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot open git mirror: " + LastGitErrorMessage("not a repository"));
  }
  return std::unique_ptr<vcs::GitRepo>(std::make_unique<MirrorRepo>(RepositoryPtr(raw_repo)));
}

}  // namespace modproxy::git
