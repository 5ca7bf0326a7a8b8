#pragma once

#include <optional>

#include <openssl/ssl.h>

#include "modproxy/policy/identity.h"

namespace modproxy::http {

// The subject of the client certificate of a finished handshake, when the
// client sent one and it verified against the client CA bundle; nullopt for
// no certificate, or one that did not verify (`optional` mode lets those
// through as anonymous).
std::optional<policy::CertificateSubject> VerifiedPeerSubject(SSL* ssl);

}  // namespace modproxy::http
