#include "modproxy/http/response_head.h"

#include <gtest/gtest.h>

namespace modproxy::http {
namespace {

Response InfoResponse() {
  Response r;
  r.content_type = "application/json";
  r.cache_control = "public, max-age=31536000, immutable";
  r.cache_hit = true;
  r.body = std::make_shared<const std::string>("{}\n");
  return r;
}

TEST(ResponseHeadTest, FormatsStatusHeadersAndLength) {
  std::string head;
  AppendResponseHead(head, InfoResponse(), 11, true, "Thu, 26 Nov 2026 21:18:26 GMT");
  EXPECT_EQ(head,
            "HTTP/1.1 200 OK\r\n"
            "Server: modproxy/0.1.0\r\n"
            "Date: Thu, 26 Nov 2026 21:18:26 GMT\r\n"
            "Content-Type: application/json\r\n"
            "Cache-Control: public, max-age=31536000, immutable\r\n"
            "X-Go-Proxy-Cache-Hit: true\r\n"
            "Content-Length: 3\r\n"
            "\r\n");
}

TEST(ResponseHeadTest, ConnectionHeaderFollowsTheHttpVersion) {
  Response r = InfoResponse();
  r.status = 405;
  r.cache_hit.reset();
  r.cache_control.clear();
  r.extra_headers.emplace_back("Allow", "GET, HEAD");
  std::string close11;
  AppendResponseHead(close11, r, 11, false, "D");
  EXPECT_NE(close11.find("HTTP/1.1 405 Method Not Allowed\r\n"), std::string::npos) << close11;
  EXPECT_NE(close11.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_NE(close11.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(close11.find("Cache-Control"), std::string::npos);
  EXPECT_EQ(close11.find("X-Go-Proxy-Cache-Hit"), std::string::npos);

  std::string keep10;
  AppendResponseHead(keep10, r, 10, true, "D");
  EXPECT_EQ(keep10.rfind("HTTP/1.0 405", 0), 0u);
  EXPECT_NE(keep10.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  std::string close10;
  AppendResponseHead(close10, r, 10, false, "D");
  EXPECT_EQ(close10.find("Connection:"), std::string::npos);
}

TEST(ResponseHeadTest, DateIsImfFixdate) {
  const std::string date(HttpDate());
  ASSERT_EQ(date.size(), 29u) << date;
  EXPECT_EQ(date.substr(date.size() - 4), " GMT");
  EXPECT_EQ(date[3], ',');
}

}  // namespace
}  // namespace modproxy::http
