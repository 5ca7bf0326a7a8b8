#include "modproxy/upstream/chain_router.h"

#include <gtest/gtest.h>

#include "modproxy/testkit/fake_upstream.h"

namespace modproxy::upstream {
namespace {

using protocol::UpstreamEntry;
using protocol::UpstreamKind;

UpstreamChain One(const std::string& name, UpstreamKind kind = UpstreamKind::kUrl) {
  std::vector<UpstreamChain::Link> links;
  links.push_back(
      {UpstreamEntry{kind, name, false}, std::make_unique<testkit::FakeUpstream>(name)});
  return UpstreamChain(std::move(links));
}

const std::string& NameOf(const UpstreamChain& chain) {
  return chain.links().front().upstream->name();
}

TEST(ChainRouterTest, FirstMatchingRouteElseTheDefault) {
  std::vector<ChainRouter::Route> routes;
  routes.push_back({"corp.example/team/*,*.corp.example", One("team")});
  routes.push_back({"corp.example", One("corp")});
  ChainRouter router(std::move(routes), One("public"));
  EXPECT_EQ(NameOf(router.For("corp.example/team/lib")), "team");
  EXPECT_EQ(NameOf(router.For("git.corp.example/x")), "team");
  EXPECT_EQ(NameOf(router.For("corp.example/other")), "corp");
  EXPECT_EQ(NameOf(router.For("corp.example")), "corp");
  // Leading path elements, case-sensitive, never a substring match.
  EXPECT_EQ(NameOf(router.For("corp.examplex/lib")), "public");
  EXPECT_EQ(NameOf(router.For("Corp.example/lib")), "public");
  EXPECT_EQ(NameOf(router.For("github.com/corp.example/lib")), "public");
  EXPECT_EQ(NameOf(router.fallback()), "public");
}

TEST(ChainRouterTest, AllOffOnlyWhenEveryChainIsOff) {
  EXPECT_TRUE(ChainRouter(One("off", UpstreamKind::kOff)).AllOff());
  EXPECT_FALSE(ChainRouter(One("public")).AllOff());
  std::vector<ChainRouter::Route> routes;
  routes.push_back({"corp.example", One("direct", UpstreamKind::kDirect)});
  EXPECT_FALSE(ChainRouter(std::move(routes), One("off", UpstreamKind::kOff)).AllOff());
}

}  // namespace
}  // namespace modproxy::upstream
