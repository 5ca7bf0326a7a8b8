#include "modproxy/upstream/upstream_chain.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "modproxy/testkit/fake_upstream.h"

namespace modproxy::upstream {
namespace {

using protocol::UpstreamEntry;
using protocol::UpstreamKind;

// A chain of fakes; `separators[i]` follows entry i ('|' or ',').
struct Chain {
  std::vector<testkit::FakeUpstream*> fakes;
  std::unique_ptr<UpstreamChain> chain;
};

Chain MakeChain(const std::string& separators) {
  Chain c;
  std::vector<UpstreamChain::Link> links;
  for (std::size_t i = 0; i < separators.size(); ++i) {
    auto fake = std::make_unique<testkit::FakeUpstream>("u" + std::to_string(i));
    c.fakes.push_back(fake.get());
    links.push_back(
        {UpstreamEntry{UpstreamKind::kUrl, "http://u" + std::to_string(i), separators[i] == '|'},
         std::move(fake)});
  }
  c.chain = std::make_unique<UpstreamChain>(std::move(links));
  return c;
}

Result<std::string> Get(const Chain& c, const std::string& path) {
  std::string body;
  Result<void> r = c.chain->Try([&](Upstream& u) -> Result<void> {
    Result<std::string> got = FetchToString(u, path, {});
    if (!got) return got.error();
    body = *got;
    return {};
  });
  if (!r) return r.error();
  return body;
}

TEST(UpstreamChainTest, CommaFallsThroughOnNotFound) {
  Chain c = MakeChain(",,,");
  c.fakes[1]->Set("m/@v/list", "v1.0.0\n");
  Result<std::string> got = Get(c, "m/@v/list");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, "v1.0.0\n");
  EXPECT_TRUE(c.fakes[2]->calls().empty());
}

TEST(UpstreamChainTest, CommaStopsOnError) {
  Chain c = MakeChain(",,");
  c.fakes[0]->SetError("p", MakeError(ErrorCode::kUnavailable, "boom"));
  c.fakes[1]->Set("p", "x");
  Result<std::string> got = Get(c, "p");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(c.fakes[1]->calls().empty());
}

TEST(UpstreamChainTest, PipeFallsThroughOnError) {
  Chain c = MakeChain("|,");
  c.fakes[0]->SetError("p", MakeError(ErrorCode::kTimeout, "slow"));
  c.fakes[1]->Set("p", "x");
  Result<std::string> got = Get(c, "p");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "x");
}

TEST(UpstreamChainTest, ReportsLastFailureOverLaterNotFound) {
  Chain c = MakeChain("|,");
  c.fakes[0]->SetError("p", MakeError(ErrorCode::kUnavailable, "first failed"));
  Result<std::string> got = Get(c, "p");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message, "first failed");
}

TEST(UpstreamChainTest, AllNotFoundIsNotFound) {
  Chain c = MakeChain(",,,");
  Result<std::string> got = Get(c, "p");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(c.fakes[2]->calls().size(), 1u);
}

TEST(UpstreamChainTest, StorageErrorStopsEvenAfterPipe) {
  Chain c = MakeChain("|,");
  c.fakes[0]->Set("p", "x");
  c.fakes[1]->Set("p", "y");
  int attempts = 0;
  Result<void> r = c.chain->Try([&](Upstream&) -> Result<void> {
    ++attempts;
    return MakeError(ErrorCode::kStorage, "disk full");
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kStorage);
  EXPECT_EQ(attempts, 1);
}

TEST(UpstreamChainTest, OffAndDirectAreNotFound) {
  for (UpstreamKind kind : {UpstreamKind::kOff, UpstreamKind::kDirect}) {
    std::unique_ptr<Upstream> u = MakeUpstream({kind, "", false});
    Result<std::string> got = FetchToString(*u, "m/@v/list", {});
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  }
}

TEST(UpstreamChainTest, FirstProxySkipsKeywords) {
  std::vector<UpstreamChain::Link> links;
  links.push_back({{UpstreamKind::kOff, "", false}, MakeUpstream({UpstreamKind::kOff, "", false})});
  UpstreamChain only_off(std::move(links));
  EXPECT_EQ(only_off.FirstProxy(), nullptr);
  Chain c = MakeChain(",");
  EXPECT_EQ(c.chain->FirstProxy(), c.fakes[0]);
}

// URL schemes are case-insensitive (the go command accepts FILE:///srv).
TEST(UpstreamChainTest, FileSchemeInAnyCaseReadsTheTree) {
  char dir[] = "/tmp/modproxy-file-upstream-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/list";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("v1.0.0\n", f);
  std::fclose(f);
  for (const std::string scheme : {"file://", "FILE://", "File://"}) {
    std::unique_ptr<Upstream> u = MakeUpstream({UpstreamKind::kUrl, scheme + dir, false});
    Result<std::string> got = FetchToString(*u, "list", {});
    ASSERT_TRUE(got.has_value()) << scheme << ": " << got.error().message;
    EXPECT_EQ(*got, "v1.0.0\n");
  }
  std::remove(file.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace modproxy::upstream
