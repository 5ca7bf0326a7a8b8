// ReadArchiveFile against the real `git archive`: every expectation here is
// produced by git at test time, never written down by hand.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "modproxy/git/mirror_store.h"
#include "modproxy/git/test_support.h"

namespace modproxy::git {
namespace {

namespace fs = std::filesystem;
using testing::Sh;
using testing::SourceRepo;
using testing::TempDir;

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Escaped(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 32 || c > 126) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

class ArchiveFileTest : public ::testing::Test {
 protected:
  ArchiveFileTest() : source_(tmp_.path() + "/src") {}

  // What the go command's `git archive` writes for each regular file of commit.
  std::map<std::string, std::string> GitArchive(const std::string& commit) {
    Sh(source_.dir(),
       "git -c core.autocrlf=input -c core.eol=lf archive --format=zip --prefix=p/ -o " +
           tmp_.path() + "/a.zip " + commit + " && mkdir " + tmp_.path() +
           "/unzipped && unzip -q -d " + tmp_.path() + "/unzipped " + tmp_.path() + "/a.zip");
    std::map<std::string, std::string> files;
    fs::path top = tmp_.path() + "/unzipped/p";
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(top)) {
      if (e.is_symlink() || !e.is_regular_file()) continue;
      files[fs::relative(e.path(), top).string()] = ReadBytes(e.path());
    }
    return files;
  }

  std::shared_ptr<vcs::GitRepo> Mirror() {
    MirrorOptions options;
    options.root = tmp_.path() + "/cache";
    options.fetch_helper = MODPROXY_GIT_FETCH_CHILD;
    MirrorStore store(options);
    FetchRequest request;
    request.url = source_.url();
    Result<std::shared_ptr<vcs::GitRepo>> repo = store.Open(request);
    EXPECT_TRUE(repo.has_value()) << repo.error().message;
    return repo ? *repo : nullptr;
  }

  void ExpectSameAsGitArchive(const std::string& commit) {
    std::map<std::string, std::string> want = GitArchive(commit);
    ASSERT_FALSE(want.empty());
    std::shared_ptr<vcs::GitRepo> repo = Mirror();
    ASSERT_NE(repo, nullptr);
    for (const auto& [path, bytes] : want) {
      Result<std::string> got = repo->ReadArchiveFile(commit, path, 1 << 20);
      ASSERT_TRUE(got.has_value()) << path << ": " << got.error().message;
      EXPECT_EQ(Escaped(*got), Escaped(bytes)) << path;
    }
  }

  TempDir tmp_;
  SourceRepo source_;
};

// The blobs are committed before .gitattributes exists, so they keep the exact
// bytes written here (CRLF included); the next commit adds the attributes.
void WriteSamples(const SourceRepo& repo, const std::string& dir) {
  const std::string binary("\x00\x01\x02\nbin\r\nary\n", 13);
  for (const char* ext : {"crlf", "txt", "raw", "auto", "autocrlf", "textcrlf", "none", "id",
                          "legacy", "nolegacy", "bin", "input", "autolf", "eolset", "rawcrlf"}) {
    std::string base = dir + "sample." + ext;
    repo.Write(base, "a\nb\n");
    repo.Write(dir + "crlf-in-blob." + ext, "a\r\nb\r\n");
    repo.Write(dir + "mixed." + ext, "a\r\nb\nc\rd");
    repo.Write(dir + "no-final-newline." + ext, "a\nb");
    repo.Write(dir + "binary." + ext, binary);
    repo.Write(dir + "empty." + ext, "");
  }
}

TEST_F(ArchiveFileTest, AttributeConversionsMatchGitArchive) {
  WriteSamples(source_, "");
  WriteSamples(source_, "sub/");
  source_.Write("ident.id", "$Id$\n");
  source_.Write("ident-twice.id", "one $Id$ two $Id$\n");
  source_.Write("ident-expanded.id", "$Id: 0123 $\nand $Id$\n");
  source_.Write("ident-spanning.id", "$Id\n$\n");
  source_.Write("ident-crlf.idcrlf", "$Id$\nx\n");
  source_.CommitAll("raw blobs");
  source_.Write(".gitattributes",
                "*.crlf eol=crlf\n"
                "*.txt text\n"
                "*.raw -text\n"
                "*.auto text=auto\n"
                "*.autocrlf text=auto eol=crlf\n"
                "*.textcrlf text eol=crlf\n"
                "*.id ident\n"
                "*.idcrlf ident eol=crlf\n"
                "*.legacy crlf eol=crlf\n"
                "*.nolegacy -crlf eol=crlf\n"
                "*.bin binary eol=crlf\n"
                "*.input text=input eol=crlf\n"
                "*.autolf text=auto eol=lf\n"
                "*.eolset eol\n"
                "*.rawcrlf -text eol=crlf\n");
  // A nested file overrides the top-level one for its directory.
  source_.Write("sub/.gitattributes", "*.txt eol=crlf\n*.crlf -text\n");
  // Only the attribute files: `git add -A` would re-normalize racily clean files.
  source_.Git("add .gitattributes sub/.gitattributes && git commit -q -m attributes");
  std::string commit = source_.Git("rev-parse HEAD");

  ExpectSameAsGitArchive(commit);
}

TEST_F(ArchiveFileTest, WorkingTreeEncodingMatchesGitArchive) {
  for (const char* ext : {"u16lebom", "u16", "u16le", "latin1", "u32"}) {
    source_.Write(std::string("text.") + ext, "caf\xc3\xa9\nline\n");
    source_.Write(std::string("euro.") + ext, "\xe2\x82\xac 5\n");
    source_.Write(std::string("invalid.") + ext, "bad \xff utf-8\n");
  }
  source_.CommitAll("utf-8 blobs");
  source_.Write(".gitattributes",
                "*.u16lebom working-tree-encoding=UTF-16LE-BOM eol=crlf\n"
                "*.u16 working-tree-encoding=UTF-16\n"
                "*.u16le working-tree-encoding=utf-16le\n"
                "*.latin1 working-tree-encoding=ISO-8859-1\n"
                "*.u32 working-tree-encoding=UTF-32 text\n");
  source_.Git("add .gitattributes && git commit -q -m attributes");

  ExpectSameAsGitArchive(source_.Git("rev-parse HEAD"));
}

TEST_F(ArchiveFileTest, AttributesOfTheArchivedCommitApplyNotOfHead) {
  source_.Write("a.txt", "a\nb\n");
  source_.Write(".gitattributes", "*.txt eol=crlf\n");
  std::string commit = source_.CommitAll("crlf");
  source_.Write(".gitattributes", "");
  source_.CommitAll("no attributes");

  ExpectSameAsGitArchive(commit);
}

TEST_F(ArchiveFileTest, SymlinkIsWrittenAsItsTarget) {
  source_.Write(".gitattributes", "* eol=crlf\n");
  source_.Write("a", "a\n");
  Sh(source_.dir(), "ln -s a link");
  std::string commit = source_.CommitAll("link");
  std::shared_ptr<vcs::GitRepo> repo = Mirror();
  ASSERT_NE(repo, nullptr);
  EXPECT_EQ(*repo->ReadArchiveFile(commit, "link", 100), "a");
  EXPECT_EQ(*repo->ReadArchiveFile(commit, "a", 100), "a\r\n");
}

TEST_F(ArchiveFileTest, LimitAppliesToTheConvertedBytes) {
  source_.Write(".gitattributes", "*.txt eol=crlf\n");
  source_.Write("a.txt", "a\nb\n");
  std::string commit = source_.CommitAll("crlf");
  std::shared_ptr<vcs::GitRepo> repo = Mirror();
  ASSERT_NE(repo, nullptr);
  EXPECT_TRUE(repo->ReadArchiveFile(commit, "a.txt", 6).has_value());
  Result<std::string> big = repo->ReadArchiveFile(commit, "a.txt", 5);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, ErrorCode::kUpstreamInvalid);
  Result<std::string> missing = repo->ReadArchiveFile(commit, "nope", 5);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace modproxy::git
