#pragma once

#include <optional>
#include <string>
#include <string_view>

// Standard base64 (RFC 4648 §4, with padding) as Go's base64.StdEncoding
// reads and writes it for keys, signatures and tree hashes. Internal to tlog.
namespace modproxy::tlog::detail {

std::string EncodeBase64(std::string_view bytes);

// nullopt unless `text` is whole 4-character groups of the standard alphabet,
// '=' only as the padding of the last group. Like Go's (non-strict) decoder,
// unused low bits of the last character are ignored.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace modproxy::tlog::detail
