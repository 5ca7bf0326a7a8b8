#pragma once

#include <string>
#include <utility>
#include <variant>

namespace modproxy {

// What went wrong, in the categories the rest of the proxy acts on. The go
// command falls through to its next GOPROXY entry only on 404/410, so "not
// found" must never be confused with "failed".
enum class ErrorCode {
  kNotFound,          // 404: the module, version or file does not exist
  kGone,              // 410: the upstream said gone
  kInvalidArgument,   // 400: a malformed request path, version or value
  kUnauthenticated,   // 401: credentials missing or wrong
  kForbidden,         // 403: refused by policy
  kIntegrity,         // 403: content differs from what the checksum database recorded, or
                      // the database misbehaved; the message starts with "SECURITY"
  kMethodNotAllowed,  // 405: not GET or HEAD
  kRateLimited,       // 429
  kTimeout,           // an upstream did not answer in time (502 to clients)
  kUnavailable,       // an upstream failed (502 to clients)
  kUpstreamInvalid,   // an upstream answered something that is not what was asked (502)
  kStorage,           // the cache could not be written or read (503 to clients)
  kInternal,          // a bug; never for anything a client or upstream causes
};

struct Error {
  ErrorCode code;
  std::string message;  // one line, written for the user: the go command prints it
};

// Result<T>: a T or an Error, with std::expected's member names (C++23 is not
// available on Debian 12's g++ 12). Implicit from T and from Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  const Error& error() const { return std::get<1>(data_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// "Does not exist" (404 or 410): the only failure after which the go command
// tries its next ','-separated proxy, and the only one worth remembering.
inline bool IsNotFound(const Error& error) {
  return error.code == ErrorCode::kNotFound || error.code == ErrorCode::kGone;
}

}  // namespace modproxy
