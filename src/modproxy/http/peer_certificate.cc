#include "modproxy/http/peer_certificate.h"

#include <memory>
#include <string>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace modproxy::http {
namespace {

std::string AsString(const ASN1_STRING* text) {
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, text);
  if (n < 0) return "";
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string CommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return "";
  return AsString(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
}

std::vector<std::string> AlternativeNames(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS || name->type == GEN_EMAIL || name->type == GEN_URI) {
      std::string text = AsString(name->d.ia5);
      if (!text.empty()) out.push_back(std::move(text));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace

std::optional<policy::CertificateSubject> VerifiedPeerSubject(SSL* ssl) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl), &X509_free);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  policy::CertificateSubject subject;
  subject.common_name = CommonName(cert.get());
  subject.sans = AlternativeNames(cert.get());
  if (subject.common_name.empty() && subject.sans.empty()) return std::nullopt;
  return subject;
}

}  // namespace modproxy::http
