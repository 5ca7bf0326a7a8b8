#pragma once

#include <string>
#include <string_view>

// Small pieces of x/mod's zip package shared by the selection rules and the
// directory walk (go-modules-reference.md §5.3, §5.4).
namespace modproxy::zipbuild::detail {

// x/mod v0.7.0's isVendoredPackage, the rule Go 1.19.8 applies: a file in a
// package below a "vendor" directory. It keeps files directly in the
// top-level vendor/ (vendor/modules.txt too) but, through an offset bug that
// cannot be fixed without changing published checksums (golang.org/issue/31562),
// drops files directly in a nested vendor/ as well.
bool IsVendoredPackage(std::string_view path);

// Go's %q of a path that may hold non-ASCII letters: letters as they are,
// other non-ASCII runes as \u escapes, invalid UTF-8 bytes as \x escapes.
// Exact for every path that passed CheckFilePath (its only non-ASCII runes
// are letters); Go would print other printable symbols such as '€' raw.
std::string GoQuote(std::string_view s);

}  // namespace modproxy::zipbuild::detail
