#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "modproxy/config/config.h"
#include "modproxy/core/result.h"

namespace modproxy::http {

struct TlsFiles {
  std::string cert;       // PEM certificate chain
  std::string key;        // PEM private key
  std::string client_ca;  // PEM CA bundle for client certificates; "" without mutual TLS
  config::ClientAuth client_auth = config::ClientAuth::kOff;
};

// The listener's TLS settings: TLS 1.2 and 1.3 only, forward-secret AEAD
// ciphers, and the client-certificate mode. Reload() builds a new context
// from the files; connections already open keep the context they started
// with (each holds a reference), new ones get the new one.
class TlsContextProvider {
 public:
  // Loads the files once; kInvalidArgument naming the file on any problem
  // (unreadable, not PEM, key not matching the certificate).
  static Result<std::unique_ptr<TlsContextProvider>> Create(TlsFiles files);

  std::shared_ptr<boost::asio::ssl::context> Current() const;
  // Re-reads the files; on error the current context stays and the error is
  // returned for the log.
  Result<void> Reload();
  const TlsFiles& files() const { return files_; }

 private:
  explicit TlsContextProvider(TlsFiles files) : files_(std::move(files)) {}

  TlsFiles files_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // guarded by mu_
};

// Builds one context from the files (exposed for tests).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsFiles& files);

}  // namespace modproxy::http
