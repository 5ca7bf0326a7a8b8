#include "modproxy/protocol/module_path.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace modproxy::protocol {
namespace {

bool ModulePathOk(std::string_view path) { return CheckModulePath(path).has_value(); }
bool FilePathOk(std::string_view path) { return CheckFilePath(path).has_value(); }

std::string ErrorMessage(const Result<void>& r) { return r ? "" : r.error().message; }

TEST(ModulePathTest, AcceptsOrdinaryModulePaths) {
  for (const char* path :
       {"x.y/z", "x.y", "golang.org/x/text", "github.com/go-yaml/yaml/v2", "example.com/x/v12",
        "gopkg.in/yaml.v2", "gopkg.in/yaml.v0", "gopkg.in/foo.v2-unstable", "x..y/z", "x.y-/z",
        "github.com/Azure/azure-sdk-for-go", "a.com/x_y~z", "a.com/x~", "a.com/x~a1"}) {
    EXPECT_TRUE(ModulePathOk(path)) << path << ": " << ErrorMessage(CheckModulePath(path));
  }
}

TEST(ModulePathTest, RejectsEmptyElementsAndStraySlashes) {
  for (const char* path : {"", "/x.y/z", "x.y//z", "x.y/z//w", "x.y/z/", "-x.y/z"}) {
    EXPECT_FALSE(ModulePathOk(path)) << path;
  }
}

TEST(ModulePathTest, RejectsDotElementsAndLeadingOrTrailingDots) {
  for (const char* path : {"x.y/z/../../w", "x.y/./z", "x.y/../z", "x.y/...", ".x/z", "x./z",
                           "x.y/.z", "x.y/z.", "x.y./zt"}) {
    EXPECT_FALSE(ModulePathOk(path)) << path;
  }
}

TEST(ModulePathTest, RequiresLowercaseDomainWithDotAsFirstElement) {
  EXPECT_EQ(ErrorMessage(CheckModulePath("example/x")),
            "malformed module path \"example/x\": missing dot in first path element");
  EXPECT_EQ(ErrorMessage(CheckModulePath("Example.com/x")),
            "malformed module path \"Example.com/x\": invalid char 'E' in first path element");
  EXPECT_FALSE(ModulePathOk("x_y.com/z"));
  EXPECT_FALSE(ModulePathOk("x~y.com/z"));
  EXPECT_TRUE(ModulePathOk("x-y.com/Z"));
}

TEST(ModulePathTest, RejectsCharactersOutsideTheModuleSet) {
  for (const char* path : {"x.y/a+b", "x.y/a@b", "x.y/a b", "x.y/a!b", "x.y/a%b", "x.y/a:b",
                           "x.y/a\\b", "x.y/caf\xC3\xA9", "x.y/\xFFz", "x.y/a\x01"}) {
    EXPECT_FALSE(ModulePathOk(path)) << path;
  }
}

TEST(ModulePathTest, RejectsWindowsReservedNamesWhateverTheCaseOrExtension) {
  for (const char* path : {"a.com/com1", "a.com/CON", "a.com/aux.c", "a.com/COM1.txt", "a.com/Lpt9",
                           "a.com/nul.x.y"}) {
    EXPECT_FALSE(ModulePathOk(path)) << path;
  }
  for (const char* path : {"a.com/con1", "a.com/AUXfoo", "a.com/com10", "a.com/x.con"}) {
    EXPECT_TRUE(ModulePathOk(path)) << path;
  }
}

TEST(ModulePathTest, RejectsWindowsShortNameLookalikes) {
  EXPECT_FALSE(ModulePathOk("a.com/x~1"));
  EXPECT_FALSE(ModulePathOk("a.com/x~12.go"));
  EXPECT_TRUE(ModulePathOk("a.com/x~1a"));
}

TEST(ModulePathTest, RejectsInvalidMajorVersionSuffixes) {
  for (const char* path : {"x.y/z/v0", "x.y/z/v1", "x.y/z/v02", "x.y/z/v2.0", "x.y/z/v1.5",
                           "gopkg.in/yaml", "gopkg.in/yaml.v01", "gopkg.in/v2"}) {
    EXPECT_FALSE(ModulePathOk(path)) << path;
  }
  EXPECT_TRUE(ModulePathOk("x.y/z/v2x"));  // not a suffix: just an element
}

TEST(FilePathTest, AllowsTheWiderFileCharacterSet) {
  for (const char* path : {"a/b.go", ".gitignore", "-dash", "sp ace/x", "x~1.go", "a/b@c",
                           "a/#$%&()+,-.=@[]^_{}~!", "caf\xC3\xA9/\xE6\x97\xA5.go", "A/B"}) {
    EXPECT_TRUE(FilePathOk(path)) << path << ": " << ErrorMessage(CheckFilePath(path));
  }
}

TEST(FilePathTest, RejectsShellAndSeparatorCharacters) {
  for (const char* path :
       {"a:b",   "a*b", "a?b",      "a\"b",         "a'b",     "a<b",         "a|b",
        "a\\b",  "a`b", "a;b",      "/abs",         "a//b",    "a/",          "a/../b",
        "a/./b", "x.",  "COM1.txt", "\xE2\x82\xAC", "bad\xFF", "\xE2\x80\xA8"}) {
    EXPECT_FALSE(FilePathOk(path)) << path;
  }
}

TEST(SplitPathVersionTest, SplitsSlashMajorSuffixes) {
  Result<PathMajorSplit> split = SplitPathVersion("example.com/x/v2");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->prefix, "example.com/x");
  EXPECT_EQ(split->path_major, "/v2");

  split = SplitPathVersion("example.com/x");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->prefix, "example.com/x");
  EXPECT_EQ(split->path_major, "");
}

TEST(SplitPathVersionTest, SplitsGopkgInSuffixes) {
  Result<PathMajorSplit> split = SplitPathVersion("gopkg.in/foo.v2-unstable");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->prefix, "gopkg.in/foo");
  EXPECT_EQ(split->path_major, ".v2-unstable");
  split = SplitPathVersion("gopkg.in/yaml.v0");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->path_major, ".v0");
}

TEST(SplitPathVersionTest, RejectsBadSuffixesAsInvalidArgument) {
  for (const char* path : {"example.com/x/v1", "example.com/x/v0", "example.com/x/v02",
                           "example.com/x/v2.1", "gopkg.in/yaml", "gopkg.in/yaml.v02"}) {
    Result<PathMajorSplit> split = SplitPathVersion(path);
    ASSERT_FALSE(split.has_value()) << path;
    EXPECT_EQ(split.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(EscapePathTest, EscapesUppercaseLetters) {
  EXPECT_EQ(*EscapePath("github.com/BurntSushi/toml"), "github.com/!burnt!sushi/toml");
  EXPECT_EQ(*EscapePath("github.com/GoogleCloudPlatform/x"), "github.com/!google!cloud!platform/x");
  EXPECT_EQ(*EscapePath("golang.org/x/text"), "golang.org/x/text");
}

TEST(EscapePathTest, RefusesInvalidPaths) {
  EXPECT_FALSE(EscapePath("Github.com/x").has_value());
  EXPECT_FALSE(EscapePath("github.com/a!b").has_value());
}

TEST(EscapeVersionTest, EscapesUppercaseAndAcceptsNonSemver) {
  EXPECT_EQ(*EscapeVersion("v1.0.0-RC1"), "v1.0.0-!r!c1");
  EXPECT_EQ(*EscapeVersion("Master"), "!master");
  EXPECT_EQ(*EscapeVersion("v2.0.0+incompatible"), "v2.0.0+incompatible");
}

TEST(EscapeVersionTest, RefusesBangsSlashesDotsAndNonAscii) {
  for (const char* version : {"v1!", "release/1.0", "..", "v1.", "", "v\xC3\xA9", "a:b"}) {
    EXPECT_FALSE(EscapeVersion(version).has_value()) << version;
  }
}

TEST(UnescapePathTest, DecodesBangLowercaseToUppercase) {
  EXPECT_EQ(*UnescapePath("github.com/!a!b"), "github.com/AB");
  EXPECT_EQ(*UnescapePath("github.com/!burnt!sushi/toml"), "github.com/BurntSushi/toml");
}

TEST(UnescapePathTest, RejectsMalformedEscapes) {
  for (const char* escaped : {"github.com/!!x", "github.com/x!", "github.com/!A", "github.com/!1",
                              "github.com/caf\xC3\xA9"}) {
    EXPECT_FALSE(UnescapePath(escaped).has_value()) << escaped;
  }
}

TEST(UnescapePathTest, RejectsLiteralUppercase) {
  Result<std::string> path = UnescapePath("github.com/Azure");
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(path.error().message, "invalid escaped module path \"github.com/Azure\"");
}

TEST(UnescapePathTest, RejectsPathsThatDecodeToInvalidModulePaths) {
  for (const char* escaped : {"!github.com/x", "github.com/../x", "example/x", "github.com//x"}) {
    EXPECT_FALSE(UnescapePath(escaped).has_value()) << escaped;
  }
}

TEST(UnescapePathTest, RoundTripsWithEscapePath) {
  for (const char* path :
       {"github.com/Azure/azure-sdk-for-go", "github.com/AB/cD/v3", "gopkg.in/Yaml.v2"}) {
    Result<std::string> escaped = EscapePath(path);
    ASSERT_TRUE(escaped.has_value()) << path;
    EXPECT_EQ(*UnescapePath(*escaped), path);
  }
}

TEST(UnescapeVersionTest, DecodesAndValidatesAsFileElement) {
  EXPECT_EQ(*UnescapeVersion("v1.0.0-!r!c1"), "v1.0.0-RC1");
  EXPECT_EQ(*UnescapeVersion("master"), "master");
  for (const char* escaped : {"..", ".", "", "v1/2", "v1.0.0-RC1", "!!", "v1!", "a:b", "v1."}) {
    EXPECT_FALSE(UnescapeVersion(escaped).has_value()) << escaped;
  }
}

TEST(CheckModuleVersionTest, RequiresMajorVersionToMatchThePath) {
  struct Case {
    const char* path;
    const char* version;
    bool ok;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"github.com/go-yaml/yaml", "v0.8.0", true},
           {"github.com/go-yaml/yaml", "v1.0.0", true},
           {"github.com/go-yaml/yaml", "v2.0.0", false},
           {"github.com/go-yaml/yaml/v2", "v1.0.0", false},
           {"github.com/go-yaml/yaml/v2", "v2.1.5", true},
           {"github.com/go-yaml/yaml/v2", "v3.0.0", false},
           {"gopkg.in/yaml.v0", "v0.8.0", true},
           {"gopkg.in/yaml.v0", "v1.0.0", false},
           {"gopkg.in/yaml.v1", "v0.8.0", false},
           {"gopkg.in/yaml.v1", "v1.0.0", true},
           {"gopkg.in/check.v1", "v0.0.0-20160102150405-abcdef123456", true},
           {"gopkg.in/yaml.v2", "v2.1.5", true},
           {"gopkg.in/yaml.v2-unstable", "v2.0.0", true},
           {"rsc.io/quote", "v17.0.0", false},
           {"rsc io/quote", "v1.0.0", false},
       }) {
    EXPECT_EQ(CheckModuleVersion(c.path, c.version).has_value(), c.ok)
        << c.path << "@" << c.version;
  }
}

TEST(CheckModuleVersionTest, AcceptsIncompatibleOnlyAboveV1OnUnsuffixedPaths) {
  EXPECT_TRUE(CheckModuleVersion("rsc.io/quote", "v17.0.0+incompatible").has_value());
  EXPECT_TRUE(CheckModuleVersion("example.com/x", "v2.0.0+incompatible").has_value());
  EXPECT_TRUE(
      CheckModuleVersion("example.com/x", "v2.0.1-0.20191109021931-daa7c04131f5+incompatible")
          .has_value());

  Result<void> v1 = CheckModuleVersion("example.com/x", "v1.0.0+incompatible");
  ASSERT_FALSE(v1.has_value());
  EXPECT_EQ(v1.error().message,
            "invalid version \"v1.0.0+incompatible\" for module \"example.com/x\": "
            "+incompatible suffix not allowed: major version v1 is compatible");
  EXPECT_FALSE(CheckModuleVersion("example.com/x", "v0.1.0+incompatible").has_value());
  EXPECT_FALSE(CheckModuleVersion("example.com/x/v2", "v2.0.0+incompatible").has_value());
  EXPECT_FALSE(CheckModuleVersion("example.com/x/v3", "v2.0.0+incompatible").has_value());
  EXPECT_FALSE(CheckModuleVersion("gopkg.in/yaml.v2", "v2.0.0+incompatible").has_value());
}

TEST(CheckModuleVersionTest, RequiresCanonicalSemver) {
  Result<void> short_form = CheckModuleVersion("example.com/x", "v1.2");
  ASSERT_FALSE(short_form.has_value());
  EXPECT_EQ(short_form.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(short_form.error().message, "invalid version \"v1.2\": not canonical");
  EXPECT_FALSE(CheckModuleVersion("example.com/x", "v1.2.3+meta").has_value());
  Result<void> branch = CheckModuleVersion("example.com/x", "master");
  ASSERT_FALSE(branch.has_value());
  EXPECT_EQ(branch.error().message, "invalid version \"master\": not a semantic version");
}

// Messages quote the bad character as Go's %q does (the go command prints them).
TEST(CheckFilePathTest, QuotesBadCharactersLikeGo) {
  EXPECT_EQ(
      CheckFilePath("a\\b.go").error().message.find("invalid char '\\\\'") != std::string::npos,
      true)
      << CheckFilePath("a\\b.go").error().message;
  EXPECT_NE(CheckFilePath("a'b.go").error().message.find("invalid char '\\''"), std::string::npos);
  EXPECT_NE(CheckFilePath("a\x01"
                          "b.go")
                .error()
                .message.find("invalid char '\\x01'"),
            std::string::npos);
  EXPECT_NE(CheckFilePath("a:b.go").error().message.find("invalid char ':'"), std::string::npos);
  EXPECT_NE(CheckFilePath("a\u200bb.go").error().message.find("invalid char '\\u200b'"),
            std::string::npos);
}

}  // namespace
}  // namespace modproxy::protocol
