#include "modproxy/http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace modproxy::http {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3's own suites
// are all of that kind and stay at OpenSSL's defaults).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string OpenSslError() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

Error Invalid(const std::string& what, const std::string& file) {
  return MakeError(ErrorCode::kInvalidArgument, "TLS " + what + " " + file + ": " + OpenSslError());
}

// `optional` client authentication: ask for a certificate and let the
// handshake go on whatever the verification said; the session reads the
// result (SSL_get_verify_result) and treats an unverified client as
// anonymous.
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) { return 1; }

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsFiles& files) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return MakeError(ErrorCode::kInternal, "TLS cipher list: " + OpenSslError());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1) {
    return Invalid("certificate", files.cert);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Invalid("key", files.key);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Invalid("key does not match the certificate:", files.key);
  }
  // A server that verifies clients must name its session context, or
  // OpenSSL refuses every resumed session (curl resumes between transfers).
  static constexpr unsigned char kSessionContext[] = "modproxy";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (files.client_auth != config::ClientAuth::kOff) {
    if (SSL_CTX_load_verify_locations(ctx, files.client_ca.c_str(), nullptr) != 1) {
      return Invalid("client CA bundle", files.client_ca);
    }
    // Tell clients which CAs we accept, so they pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
    if (names == nullptr) return Invalid("client CA bundle", files.client_ca);
    SSL_CTX_set_client_CA_list(ctx, names);
    if (files.client_auth == config::ClientAuth::kRequire) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    } else {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &AcceptAnyCertificate);
    }
  }
  return context;
}

Result<std::unique_ptr<TlsContextProvider>> TlsContextProvider::Create(TlsFiles files) {
  std::unique_ptr<TlsContextProvider> provider(new TlsContextProvider(std::move(files)));
  if (Result<void> loaded = provider->Reload(); !loaded) return loaded.error();
  return provider;
}

std::shared_ptr<ssl::context> TlsContextProvider::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

Result<void> TlsContextProvider::Reload() {
  Result<std::shared_ptr<ssl::context>> context = MakeTlsContext(files_);
  if (!context) return context.error();
  std::lock_guard lock(mu_);
  current_ = std::move(*context);
  return {};
}

}  // namespace modproxy::http
