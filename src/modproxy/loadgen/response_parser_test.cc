#include "modproxy/loadgen/response_parser.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace modproxy::loadgen {
namespace {

using State = ResponseParser::State;

// Feeds `input` in pieces of `step` bytes the way the connection does:
// unconsumed bytes are kept and presented again with the next piece.
// Returns the bytes left over after the response completed (or failed).
std::string FeedInSteps(ResponseParser& parser, std::string_view input, std::size_t step) {
  std::string pending;
  std::size_t offset = 0;
  while (parser.state() == State::kIncomplete && offset < input.size()) {
    pending.append(input.substr(offset, step));
    offset += step;
    const std::size_t used = parser.Parse(pending);
    pending.erase(0, used);
  }
  if (offset < input.size()) pending.append(input.substr(offset));
  return pending;
}

TEST(ResponseParserTest, ParsesContentLengthResponse) {
  ResponseParser parser;
  const std::string input = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  EXPECT_EQ(parser.Parse(input), input.size());
  EXPECT_EQ(parser.state(), State::kComplete);
  EXPECT_EQ(parser.status_code(), 200);
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_EQ(parser.body_bytes(), 5u);
}

TEST(ResponseParserTest, SameResultForEverySplitOfTheInput) {
  const std::string input =
      "HTTP/1.1 404 Not Found\r\ncontent-length: 11\r\nX-Go-Proxy-Cache-Hit: false\r\n\r\n"
      "not found\r\n";
  for (std::size_t step = 1; step <= input.size(); ++step) {
    ResponseParser parser;
    EXPECT_EQ(FeedInSteps(parser, input, step), "") << "step " << step;
    EXPECT_EQ(parser.state(), State::kComplete) << "step " << step;
    EXPECT_EQ(parser.status_code(), 404);
    EXPECT_EQ(parser.body_bytes(), 11u) << "step " << step;
  }
}

TEST(ResponseParserTest, IncompleteLineIsNotConsumed) {
  ResponseParser parser;
  EXPECT_EQ(parser.Parse("HTTP/1.1 200 OK\r\nContent-Le"), 17u);
  EXPECT_EQ(parser.state(), State::kIncomplete);
  EXPECT_EQ(parser.Parse("Content-Length: 2\r\n\r\nab"), 23u);
  EXPECT_EQ(parser.state(), State::kComplete);
}

TEST(ResponseParserTest, DecodesChunkedBody) {
  const std::string input =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n";
  for (std::size_t step : {1u, 3u, 7u, 1000u}) {
    ResponseParser parser;
    EXPECT_EQ(FeedInSteps(parser, input, step), "") << "step " << step;
    EXPECT_EQ(parser.state(), State::kComplete);
    EXPECT_EQ(parser.body_bytes(), 31u);
    EXPECT_TRUE(parser.keep_alive());
  }
}

TEST(ResponseParserTest, StopsAfterEachOfSeveralResponsesInOneRead) {
  const std::string input =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
      "HTTP/1.1 304 Not Modified\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
      "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
  std::string_view rest = input;
  const int want_status[] = {200, 304, 200, 204};
  const std::uint64_t want_bytes[] = {3, 0, 2, 0};
  for (int i = 0; i < 4; ++i) {
    ResponseParser parser;
    rest.remove_prefix(parser.Parse(rest));
    ASSERT_EQ(parser.state(), State::kComplete) << i;
    EXPECT_EQ(parser.status_code(), want_status[i]);
    EXPECT_EQ(parser.body_bytes(), want_bytes[i]);
    EXPECT_EQ(parser.keep_alive(), i != 3);
  }
  EXPECT_TRUE(rest.empty());
}

TEST(ResponseParserTest, BodyWithoutLengthEndsAtClose) {
  ResponseParser parser;
  EXPECT_EQ(parser.Parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome"), 49u);
  EXPECT_EQ(parser.Parse(" more"), 5u);
  EXPECT_EQ(parser.state(), State::kIncomplete);
  EXPECT_FALSE(parser.keep_alive());
  parser.OnEof();
  EXPECT_EQ(parser.state(), State::kComplete);
  EXPECT_EQ(parser.body_bytes(), 9u);
}

TEST(ResponseParserTest, EofBeforeContentLengthIsTruncation) {
  ResponseParser parser;
  (void)parser.Parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
  parser.OnEof();
  EXPECT_EQ(parser.state(), State::kIncomplete);
  EXPECT_TRUE(parser.started());
}

TEST(ResponseParserTest, ConnectionCloseAndHttp10KeepAlive) {
  ResponseParser close;
  (void)close.Parse(
      "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(close.state(), State::kComplete);
  EXPECT_FALSE(close.keep_alive());

  ResponseParser http10;
  (void)http10.Parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(http10.keep_alive());

  ResponseParser http10_keep;
  (void)http10_keep.Parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(http10_keep.keep_alive());
}

TEST(ResponseParserTest, SkipsInterimResponses) {
  ResponseParser parser;
  const std::string input =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(parser.Parse(input), input.size());
  EXPECT_EQ(parser.state(), State::kComplete);
  EXPECT_EQ(parser.status_code(), 200);
}

TEST(ResponseParserTest, AcceptsLfOnlyLinesAndEmptyReason) {
  ResponseParser parser;
  (void)parser.Parse("HTTP/1.1 200\nContent-Length: 2\n\nok");
  EXPECT_EQ(parser.state(), State::kComplete);
  EXPECT_EQ(parser.body_bytes(), 2u);
}

struct MalformedCase {
  const char* name;
  const char* input;
};

class ResponseParserMalformedTest : public testing::TestWithParam<MalformedCase> {};

TEST_P(ResponseParserMalformedTest, IsAnError) {
  ResponseParser parser;
  (void)parser.Parse(GetParam().input);
  EXPECT_EQ(parser.state(), State::kError) << GetParam().input;
  EXPECT_FALSE(parser.error().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, ResponseParserMalformedTest,
    testing::Values(
        MalformedCase{"NotHttp", "SSH-2.0-OpenSSH_9.2\r\n"},
        MalformedCase{"Http2Preface", "HTTP/2 200\r\n\r\n"},
        MalformedCase{"ShortStatus", "HTTP/1.1 20 OK\r\n\r\n"},
        MalformedCase{"LetterStatus", "HTTP/1.1 2x0 OK\r\n\r\n"},
        MalformedCase{"StatusBelow100", "HTTP/1.1 099 Odd\r\n\r\n"},
        MalformedCase{"JunkAfterStatus", "HTTP/1.1 2000 OK\r\n\r\n"},
        MalformedCase{"HeaderWithoutColon", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"},
        MalformedCase{"FoldedHeader", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n"},
        MalformedCase{"BadContentLength", "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n"},
        MalformedCase{"NegativeContentLength", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"},
        MalformedCase{"ConflictingLengths",
                      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
        MalformedCase{"BadChunkSize",
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
        MalformedCase{"ChunkLongerThanSize",
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"}),
    [](const testing::TestParamInfo<MalformedCase>& param_info) { return param_info.param.name; });

TEST(ResponseParserTest, EndlessHeaderSectionIsAnError) {
  ResponseParser parser;
  std::string input = "HTTP/1.1 200 OK\r\n";
  while (input.size() <= ResponseParser::kMaxHeaderBytes) input += "X-Filler: 0123456789\r\n";
  (void)parser.Parse(input);
  EXPECT_EQ(parser.state(), State::kError);

  ResponseParser unterminated;
  const std::string line(ResponseParser::kMaxHeaderBytes + 1, 'a');
  EXPECT_EQ(unterminated.Parse(line), 0u);
  EXPECT_EQ(unterminated.state(), State::kError);
}

TEST(ResponseParserTest, ResetStartsANewResponse) {
  ResponseParser parser;
  (void)parser.Parse("HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  parser.Reset();
  EXPECT_EQ(parser.state(), State::kIncomplete);
  EXPECT_FALSE(parser.started());
  (void)parser.Parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(parser.status_code(), 200);
  EXPECT_TRUE(parser.keep_alive());
}

}  // namespace
}  // namespace modproxy::loadgen
