#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "modproxy/http/response.h"

namespace modproxy::http {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Sends `response` on `stream`: head and in-memory body in one system call;
// a stored file with sendfile (no copy through user space, memory flat
// whatever the zip size); any other reader in chunks. `head` is the
// connection's reusable buffer. `sent` counts body bytes written. Returns
// false when the connection must be dropped: a write failed or timed out, or
// a stored body could not be read to the end (the client then sees a short
// body, never a silently truncated "complete" one).
boost::asio::awaitable<bool> WriteResponse(boost::beast::tcp_stream& stream, std::string& head,
                                           unsigned version, bool head_only, bool keep_alive,
                                           Response& response, std::uint64_t& sent);
// The same over TLS: stored files are read and encrypted in chunks (no sendfile).
boost::asio::awaitable<bool> WriteResponse(TlsStream& stream, std::string& head, unsigned version,
                                           bool head_only, bool keep_alive, Response& response,
                                           std::uint64_t& sent);

}  // namespace modproxy::http
