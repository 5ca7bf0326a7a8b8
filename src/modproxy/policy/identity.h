#pragma once

#include <string>
#include <vector>

namespace modproxy::policy {

// The subject of a client certificate that verified against --tls-client-ca.
struct CertificateSubject {
  std::string common_name;        // "" when the subject has no CN
  std::vector<std::string> sans;  // DNS names, e-mail addresses and URIs, in order
};

// Who sent a request: a verified client certificate, a token from the auth
// file, or nobody (anonymous, known only by its client IP).
struct Identity {
  enum class Kind { kAnonymous, kCertificate, kToken };
  Kind kind = Kind::kAnonymous;
  std::string name;                  // CN (else first SAN) or auth-file entry name; "" anonymous
  std::vector<std::string> aliases;  // a certificate's SANs (DNS, email, URI), for rule lookup
  std::string client_ip;             // peer, or X-Forwarded-For from a trusted proxy

  bool authenticated() const { return kind != Kind::kAnonymous; }
  // The rate limiter's key: "id:<name>" or "ip:<client_ip>".
  std::string RateKey() const { return authenticated() ? "id:" + name : "ip:" + client_ip; }
};

}  // namespace modproxy::policy
