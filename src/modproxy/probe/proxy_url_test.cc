#include "modproxy/probe/proxy_url.h"

#include <string>

#include <gtest/gtest.h>

namespace modproxy::probe {
namespace {

TEST(ProxyUrlTest, AcceptsHttpAndHttpsAndDropsTrailingSlashes) {
  Result<ProxyUrl> p = ParseProxyUrl("https://proxy.golang.org/");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->url, "https://proxy.golang.org");
  EXPECT_EQ(p->shown, "https://proxy.golang.org");
  EXPECT_TRUE(ParseProxyUrl("http://127.0.0.1:8080"));
  EXPECT_TRUE(ParseProxyUrl("http://[::1]:8080/goproxy"));
  EXPECT_EQ(ParseProxyUrl("http://h.example/a/b//")->url, "http://h.example/a/b");
}

TEST(ProxyUrlTest, RedactsCredentialsInTheShownUrlAndInMessages) {
  Result<ProxyUrl> p = ParseProxyUrl("https://alice:s3cret@proxy.example/base");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->url, "https://alice:s3cret@proxy.example/base");
  EXPECT_EQ(p->shown, "https://***@proxy.example/base");
  EXPECT_EQ(p->Redact("GET https://alice:s3cret@proxy.example/x failed; alice:s3cret@y"),
            "GET https://***@proxy.example/x failed; ***@y");
  EXPECT_EQ(ParseProxyUrl("http://h.example")->Redact("a@b"), "a@b");
}

TEST(ProxyUrlTest, RejectsOtherSchemesAndMalformedUrls) {
  for (const char* text :
       {"", "proxy.golang.org", "file:///tmp/tree", "ftp://h.example", "direct", "http://",
        "http:///path", "http://h.example?x=1", "http://h.example/#f", "http://h ex.example",
        "http://h.example:x", "http://h.example:99999", "http://h.example:", "HTTP://h.example"}) {
    Result<ProxyUrl> p = ParseProxyUrl(text);
    EXPECT_FALSE(p) << text;
    if (!p) {
      EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
      EXPECT_EQ(p.error().message.rfind("invalid proxy URL", 0), 0u) << p.error().message;
    }
  }
}

TEST(ProxyUrlTest, ErrorsAboutBadUrlsDoNotLeakCredentials) {
  Result<ProxyUrl> p = ParseProxyUrl("http://bob:hunter2@h.example:bad/");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message.find("hunter2"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace modproxy::probe
