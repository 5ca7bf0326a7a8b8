#pragma once

#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace modproxy::testkit {

// Runs one coroutine to completion on a private event loop and returns its value.
template <typename T>
T RunTask(boost::asio::awaitable<T> task) {
  boost::asio::io_context loop;
  std::optional<T> out;
  // A void wrapper: co_spawn's value handler would need T to be default-constructible.
  auto wrapper = [&out, t = std::move(task)]() mutable -> boost::asio::awaitable<void> {
    out.emplace(co_await std::move(t));
  };
  boost::asio::co_spawn(loop, wrapper(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  loop.run();
  return std::move(*out);
}

}  // namespace modproxy::testkit
