#include "modproxy/protocol/request_path.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <gtest/gtest.h>

namespace modproxy::protocol {
namespace {

// The parsed request as a T, or a failed expectation and a default T.
template <typename T>
T ParseAs(std::string_view target) {
  Result<ParsedRequest> parsed = ParseRequestTarget(target);
  EXPECT_TRUE(parsed.has_value()) << target << ": " << (parsed ? "" : parsed.error().message);
  if (!parsed) return T{};
  const T* request = std::get_if<T>(&*parsed);
  EXPECT_NE(request, nullptr) << target << " parsed as another kind of request";
  return request != nullptr ? *request : T{};
}

std::optional<ErrorCode> ErrorOf(std::string_view target) {
  Result<ParsedRequest> parsed = ParseRequestTarget(target);
  if (parsed) return std::nullopt;
  return parsed.error().code;
}

std::string MessageOf(std::string_view target) {
  Result<ParsedRequest> parsed = ParseRequestTarget(target);
  return parsed ? "" : parsed.error().message;
}

constexpr ErrorCode kInvalid = ErrorCode::kInvalidArgument;
constexpr ErrorCode kNotFound = ErrorCode::kNotFound;

TEST(ParseRequestTargetTest, ParsesListAndLatest) {
  ModuleRequest list = ParseAs<ModuleRequest>("/golang.org/x/text/@v/list");
  EXPECT_EQ(list.endpoint, ModuleEndpoint::kList);
  EXPECT_EQ(list.module, "golang.org/x/text");
  EXPECT_EQ(list.escaped_module, "golang.org/x/text");
  EXPECT_EQ(list.version, "");

  ModuleRequest latest = ParseAs<ModuleRequest>("/golang.org/x/text/@latest");
  EXPECT_EQ(latest.endpoint, ModuleEndpoint::kLatest);
  EXPECT_EQ(latest.module, "golang.org/x/text");
}

TEST(ParseRequestTargetTest, ParsesCanonicalInfoModAndZip) {
  const std::pair<const char*, ModuleEndpoint> cases[] = {
      {"/golang.org/x/text/@v/v0.3.8.info", ModuleEndpoint::kInfo},
      {"/golang.org/x/text/@v/v0.3.8.mod", ModuleEndpoint::kMod},
      {"/golang.org/x/text/@v/v0.3.8.zip", ModuleEndpoint::kZip}};
  for (const auto& [target, endpoint] : cases) {
    ModuleRequest request = ParseAs<ModuleRequest>(target);
    EXPECT_EQ(request.endpoint, endpoint) << target;
    EXPECT_EQ(request.module, "golang.org/x/text");
    EXPECT_EQ(request.version, "v0.3.8");
    EXPECT_EQ(request.escaped_version, "v0.3.8");
    EXPECT_TRUE(request.canonical) << target;
  }
}

TEST(ParseRequestTargetTest, DecodesPercentThenCaseEscapes) {
  // What the go command sends for example.com/Upper@v1.0.0-RC1 (§1.1).
  ModuleRequest request = ParseAs<ModuleRequest>("/example.com/%21upper/@v/v1.0.0-%21r%21c1.info");
  EXPECT_EQ(request.module, "example.com/Upper");
  EXPECT_EQ(request.escaped_module, "example.com/!upper");
  EXPECT_EQ(request.version, "v1.0.0-RC1");
  EXPECT_EQ(request.escaped_version, "v1.0.0-!r!c1");
  EXPECT_TRUE(request.canonical);

  EXPECT_EQ(ParseAs<ModuleRequest>("/github.com/!burnt!sushi/toml/@v/list").module,
            "github.com/BurntSushi/toml");
}

TEST(ParseRequestTargetTest, DropsTheQueryString) {
  ModuleRequest request = ParseAs<ModuleRequest>("/golang.org/x/text/@v/v0.3.8.zip?x=y&go-get=1");
  EXPECT_EQ(request.endpoint, ModuleEndpoint::kZip);
  EXPECT_EQ(request.version, "v0.3.8");
  EXPECT_EQ(ParseAs<OpsEndpoint>("/metrics?format=text"), OpsEndpoint::kMetrics);
}

TEST(ParseRequestTargetTest, KeepsPlusLiteralInIncompatibleVersions) {
  ModuleRequest zip = ParseAs<ModuleRequest>("/example.com/x/@v/v2.0.0+incompatible.zip");
  EXPECT_EQ(zip.version, "v2.0.0+incompatible");
  EXPECT_TRUE(zip.canonical);
  // An encoded '+' decodes to '+', never to a space.
  EXPECT_EQ(ParseAs<ModuleRequest>("/example.com/x/@v/v2.0.0%2Bincompatible.mod").version,
            "v2.0.0+incompatible");
}

TEST(ParseRequestTargetTest, RejectsIncompatibleWhereTheMajorIsCompatible) {
  EXPECT_EQ(ErrorOf("/example.com/x/@v/v1.0.0+incompatible.zip"), kInvalid);
  EXPECT_EQ(ErrorOf("/example.com/x/@v/v0.1.0+incompatible.mod"), kInvalid);
  EXPECT_EQ(ErrorOf("/example.com/x/v2/@v/v2.0.0+incompatible.zip"), kInvalid);
  EXPECT_EQ(ErrorOf("/gopkg.in/yaml.v2/@v/v2.0.0+incompatible.mod"), kInvalid);
}

TEST(ParseRequestTargetTest, RequiresCanonicalVersionsForModAndZip) {
  EXPECT_EQ(ErrorOf("/golang.org/x/text/@v/v1.2.mod"), kInvalid);
  EXPECT_EQ(MessageOf("/golang.org/x/text/@v/v1.2.mod"), "invalid version \"v1.2\": not canonical");
  EXPECT_EQ(ErrorOf("/golang.org/x/text/@v/v1.2.3+meta.zip"), kInvalid);
  EXPECT_EQ(ErrorOf("/golang.org/x/text/@v/master.zip"), kInvalid);
  EXPECT_EQ(MessageOf("/golang.org/x/text/@v/master.zip"),
            "invalid version \"master\": not a semantic version");
  // Canonical, but the major does not fit the path.
  EXPECT_EQ(ErrorOf("/golang.org/x/text/@v/v2.0.0.zip"), kInvalid);
  EXPECT_EQ(ErrorOf("/example.com/x/v2/@v/v1.0.0.mod"), kInvalid);
}

TEST(ParseRequestTargetTest, AllowsQueriesInInfoButMarksThemNonCanonical) {
  for (const char* target :
       {"/golang.org/x/text/@v/master.info", "/golang.org/x/text/@v/v1.2.info",
        "/golang.org/x/text/@v/v1.2.3+meta.info", "/golang.org/x/text/@v/abc1234.info",
        "/golang.org/x/text/@v/v2.0.0.info", "/example.com/x/@v/v1.0.0+incompatible.info",
        "/golang.org/x/text/@v/%21master.info"}) {
    ModuleRequest request = ParseAs<ModuleRequest>(target);
    EXPECT_EQ(request.endpoint, ModuleEndpoint::kInfo) << target;
    EXPECT_FALSE(request.canonical) << target;
  }
  EXPECT_EQ(ParseAs<ModuleRequest>("/golang.org/x/text/@v/%21master.info").version, "Master");
}

TEST(ParseRequestTargetTest, RejectsInfoVersionsThatAreNotFileNames) {
  for (const char* target : {"/golang.org/x/text/@v/release/1.0.info",
                             "/golang.org/x/text/@v/..info", "/golang.org/x/text/@v/.info",
                             "/golang.org/x/text/@v/Master.info", "/golang.org/x/text/@v/a!.info",
                             "/golang.org/x/text/@v/a:b.info", "/golang.org/x/text/@v/v1..info"}) {
    EXPECT_EQ(ErrorOf(target), kInvalid) << target;
  }
}

TEST(ParseRequestTargetTest, RejectsPathTraversal) {
  for (const char* target :
       {"/../etc/passwd/@v/list", "/golang.org/x/%2e%2e/@v/list", "/golang.org/x/%2E%2E/@v/list",
        "/golang.org%2Fx/text/@v/list", "/golang.org%2fx/text/@v/list",
        "/golang.org%5Cx/text/@v/list", "/golang.org/x/./text/@v/list", "//golang.org/x/@v/list",
        "/golang.org/x/text/@v/../../../secret.zip", "/golang.org/x/text/../@latest",
        "/sumdb/sum.golang.org/../../etc/passwd", "/sumdb/sum.golang.org/lookup/../x@v1.0.0",
        "/unknown/../endpoint", "/golang.org\\x/text/@v/list"}) {
    EXPECT_EQ(ErrorOf(target), kInvalid) << target;
  }
}

TEST(ParseRequestTargetTest, RejectsInvalidCaseEscapesAndUppercase) {
  for (const char* target :
       {"/github.com/!!x/@v/list", "/github.com/%21%21x/@v/list", "/github.com/x!/@v/list",
        "/github.com/!1/@v/list", "/github.com/Azure/x/@v/list", "/Golang.org/x/text/@latest",
        "/github.com/azure/x/@v/v1.0.0-RC1.info"}) {
    EXPECT_EQ(ErrorOf(target), kInvalid) << target;
  }
  EXPECT_EQ(MessageOf("/github.com/Azure/x/@v/list"),
            "invalid escaped module path \"github.com/Azure/x\"");
}

TEST(ParseRequestTargetTest, RejectsInvalidModulePaths) {
  for (const char* target : {"/@v/list", "/@latest", "/example/x/@v/list",
                             "/golang.org/x/text/v1/@v/list", "/golang.org/x/te%20xt/@v/list",
                             "/golang.org/x/te+xt/@latest", "/golang.org/x/caf%C3%A9/@v/list"}) {
    EXPECT_EQ(ErrorOf(target), kInvalid) << target;
  }
}

TEST(ParseRequestTargetTest, RejectsMalformedPercentEscapesAndControlCharacters) {
  for (const char* target : {"/golang.org/x/text/@v/%zz.info", "/golang.org/x/text/@v/v1%2.info",
                             "/golang.org/x/text/@v/list%", "/golang.org/x/text/@v/v1%00.info",
                             "/golang.org/x/text/@v/v1%0a.info", "/golang.org/x/text/@v/v1%7F.info",
                             "/golang.org/x/text/@v/v1\t.info", "/metrics%00"}) {
    EXPECT_EQ(ErrorOf(target), kInvalid) << target;
  }
}

TEST(ParseRequestTargetTest, RejectsOverlongTargets) {
  const std::string prefix = "/example.com/";
  const std::string suffix = "/@v/list";
  std::string target = prefix + std::string(kMaxTargetLength - prefix.size() - suffix.size(), 'a');
  target += suffix;
  ASSERT_EQ(target.size(), kMaxTargetLength);
  EXPECT_EQ(ErrorOf(target), std::nullopt) << MessageOf(target);
  EXPECT_EQ(ErrorOf(target + "?"), kInvalid);
  EXPECT_EQ(ErrorOf("/metrics?" + std::string(kMaxTargetLength, 'q')), kInvalid);
}

TEST(ParseRequestTargetTest, RejectsTargetsNotStartingWithSlash) {
  for (const char* target :
       {"", "*", "golang.org/x/text/@v/list", "http://example.com/golang.org/x/text/@v/list"}) {
    EXPECT_EQ(ErrorOf(target), kInvalid) << target;
  }
}

TEST(ParseRequestTargetTest, AnswersNotFoundForUnknownEndpoints) {
  for (const char* target :
       {"/", "/favicon.ico", "/golang.org/x/text", "/golang.org/x/text/@v/v1.0.0.tar",
        "/golang.org/x/text/@v/list/extra", "/golang.org/x/text/@v/lists", "/golang.org/x/@latest2",
        "/healthz/x", "/sumdb", "/sumdb/sum.golang.org", "/sumdb/sum.golang.org/unknown",
        "/sumdb/sum.golang.org/lookups/x"}) {
    EXPECT_EQ(ErrorOf(target), kNotFound) << target;
  }
  EXPECT_EQ(MessageOf("/favicon.ico"), "not found: unknown endpoint \"/favicon.ico\"");
}

TEST(ParseRequestTargetTest, ParsesOpsEndpoints) {
  EXPECT_EQ(ParseAs<OpsEndpoint>("/healthz"), OpsEndpoint::kHealthz);
  EXPECT_EQ(ParseAs<OpsEndpoint>("/readyz"), OpsEndpoint::kReadyz);
  EXPECT_EQ(ParseAs<OpsEndpoint>("/metrics"), OpsEndpoint::kMetrics);
}

TEST(ParseRequestTargetTest, ParsesSumdbSupportedAndLatestAsMutable) {
  SumdbRequest supported = ParseAs<SumdbRequest>("/sumdb/sum.golang.org/supported");
  EXPECT_EQ(supported.endpoint, SumdbEndpoint::kSupported);
  EXPECT_EQ(supported.name, "sum.golang.org");
  EXPECT_EQ(supported.rest, "supported");
  EXPECT_FALSE(supported.immutable);

  SumdbRequest latest = ParseAs<SumdbRequest>("/sumdb/sum.golang.org/latest");
  EXPECT_EQ(latest.endpoint, SumdbEndpoint::kLatest);
  EXPECT_EQ(latest.rest, "latest");
  EXPECT_FALSE(latest.immutable);
}

TEST(ParseRequestTargetTest, ParsesSumdbLookupsKeepingTheEscapedForm) {
  SumdbRequest lookup =
      ParseAs<SumdbRequest>("/sumdb/sum.golang.org/lookup/golang.org/x/text@v0.3.8");
  EXPECT_EQ(lookup.endpoint, SumdbEndpoint::kLookup);
  EXPECT_EQ(lookup.rest, "lookup/golang.org/x/text@v0.3.8");
  EXPECT_TRUE(lookup.immutable);

  SumdbRequest upper =
      ParseAs<SumdbRequest>("/sumdb/sum.golang.org/lookup/github.com/%21azure/x@v1.0.0-%21r%21c1");
  EXPECT_EQ(upper.rest, "lookup/github.com/!azure/x@v1.0.0-!r!c1");
  EXPECT_EQ(
      ParseAs<SumdbRequest>("/sumdb/sum.golang.org/lookup/example.com/x@v2.0.0+incompatible").rest,
      "lookup/example.com/x@v2.0.0+incompatible");
}

TEST(ParseRequestTargetTest, RejectsSumdbLookupsOutsideTheServerGrammar) {
  for (const char* rest :
       {"lookup/golang.org/x/text", "lookup/golang.org/x/text@master", "lookup/golang.org/x/text@",
        "lookup/@v1.0.0", "lookup/golang.org/x/text@v1.0", "lookup/golang.org/x/text@v1.0.0+meta",
        "lookup/golang.org/x/text@v1.0.0@v1.0.0", "lookup/github.com/Azure/x@v1.0.0",
        "lookup/golang.org/x/text@v1.0.0-RC1", "lookup/golang.org/x/text@v1.0.0-a:b",
        "lookup/example/x@v1.0.0"}) {
    EXPECT_EQ(ErrorOf(std::string("/sumdb/sum.golang.org/") + rest), kInvalid) << rest;
  }
}

TEST(ParseRequestTargetTest, ParsesTilePathsAsImmutable) {
  for (const char* rest : {"tile/8/0/000", "tile/8/0/x001/x234/067.p/5", "tile/8/1/003",
                           "tile/8/data/017.p/100", "tile/8/0/x001/234.p/5", "tile/1/0/000.p/1",
                           "tile/30/0/x009/x223/x372/x036/x854/x775/807"}) {
    SumdbRequest tile = ParseAs<SumdbRequest>(std::string("/sumdb/sum.golang.org/") + rest);
    EXPECT_EQ(tile.endpoint, SumdbEndpoint::kTile) << rest;
    EXPECT_EQ(tile.rest, rest);
    EXPECT_TRUE(tile.immutable) << rest;
  }
}

TEST(ParseRequestTargetTest, GivesTheExactSizeOfHashTiles) {
  const std::pair<const char*, std::uint64_t> cases[] = {
      {"tile/8/0/000", 256 * 32}, {"tile/8/1/x001/234.p/5", 5 * 32},
      {"tile/1/0/000.p/1", 32},   {"tile/8/data/017.p/100", 0},
      {"tile/8/data/000", 0},
  };
  for (const auto& [rest, bytes] : cases) {
    SumdbRequest tile = ParseAs<SumdbRequest>(std::string("/sumdb/sum.golang.org/") + rest);
    EXPECT_EQ(tile.hash_tile_bytes, bytes) << rest;
  }
  EXPECT_EQ(ParseAs<SumdbRequest>("/sumdb/sum.golang.org/latest").hash_tile_bytes, 0u);
}

TEST(ParseRequestTargetTest, RejectsTilePathsThatDoNotRoundTrip) {
  for (const char* rest : {"tile/0/0/000",       "tile/31/0/000",
                           "tile/08/0/000",      "tile/8/00/000",
                           "tile/8/-1/000",      "tile/8/0/00",
                           "tile/8/0/0000",      "tile/8/0/x000/001",
                           "tile/8/0/001/002",   "tile/8/0/x1/002",
                           "tile/8/0/000.p/256", "tile/8/0/000.p/0",
                           "tile/8/0/000.p/05",  "tile/8/0/000.p",
                           "tile/8/0",           "tile/8/data",
                           "tile/8/0/000/",      "tile/x/0/000",
                           "tile/8/+1/000",      "tile/30/0/x009/x223/x372/x036/x854/x775/808",
                           "tile/2/0/000.p/4"}) {
    EXPECT_EQ(ErrorOf(std::string("/sumdb/sum.golang.org/") + rest), kInvalid) << rest;
  }
}

TEST(ParseRequestTargetTest, AnswersNotFoundForSumdbNamesThatAreNotLowercaseHostnames) {
  // The go command then talks to such a database directly (§7.9).
  EXPECT_EQ(ParseAs<SumdbRequest>("/sumdb/sum.test-db.example/latest").name, "sum.test-db.example");
  for (const char* name : {"SUM.golang.org", "localhost", ".sum.golang.org", "sum.golang.org.",
                           "-sum.golang.org", "sum.golang.org-", "sum..golang.org",
                           "sum_db.example", "localhost:8080", "sum%20.example"}) {
    EXPECT_EQ(ErrorOf(std::string("/sumdb/") + name + "/supported"), kNotFound) << name;
  }
  EXPECT_EQ(ErrorOf("/sumdb/" + std::string(250, 'a') + ".com/latest"), kNotFound);
  EXPECT_EQ(MessageOf("/sumdb/localhost:8080/supported"),
            "not found: checksum database \"localhost:8080\" is not proxied");
}

TEST(PercentDecodePathTest, DecodesEscapesAndKeepsPlus) {
  EXPECT_EQ(*PercentDecodePath("/a%21b%2Bc+d%41%7e"), "/a!b+c+dA~");
  EXPECT_EQ(*PercentDecodePath(""), "");
}

TEST(PercentDecodePathTest, RejectsEncodedSeparatorsAndBadEscapes) {
  for (const char* raw : {"%2F", "%2f", "%5C", "%5c", "%00", "%", "%4", "%g0", "%0D%0A", "\x01"}) {
    Result<std::string> decoded = PercentDecodePath(raw);
    ASSERT_FALSE(decoded.has_value()) << raw;
    EXPECT_EQ(decoded.error().code, kInvalid);
  }
}

}  // namespace
}  // namespace modproxy::protocol
