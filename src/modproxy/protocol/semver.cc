#include "modproxy/protocol/semver.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modproxy::protocol::semver {
namespace {

// The pieces of a valid version, as views into it (or literals for the parts
// a short form leaves out). §3.1.
struct Parsed {
  std::string_view major;
  std::string_view minor;
  std::string_view patch;
  std::string_view short_fill;  // ".0.0" for "vX", ".0" for "vX.Y"
  std::string_view prerelease;  // "-pre" or ""
  std::string_view build;       // "+meta" or ""
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsIdentChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

bool IsNumeric(std::string_view s) { return std::all_of(s.begin(), s.end(), IsDigit); }

// Numeric prerelease identifiers must not have leading zeros.
bool IsBadNumber(std::string_view s) { return s.size() > 1 && s[0] == '0' && IsNumeric(s); }

// Takes "0" or [1-9][0-9]* off the front of `v`.
std::optional<std::string_view> TakeNumber(std::string_view& v) {
  std::size_t n = 0;
  while (n < v.size() && IsDigit(v[n])) ++n;
  if (n == 0 || (v[0] == '0' && n > 1)) return std::nullopt;
  const std::string_view number = v.substr(0, n);
  v.remove_prefix(n);
  return number;
}

// Takes `lead` + dot-separated identifiers off the front of `v`, stopping at
// `stop`. Prerelease identifiers additionally refuse leading zeros.
std::optional<std::string_view> TakeIdents(std::string_view& v, char lead, char stop,
                                           bool numbers_strict) {
  if (v.empty() || v[0] != lead) return std::nullopt;
  std::size_t i = 1;
  std::size_t start = 1;
  const auto ident_ok = [&](std::size_t end) {
    const std::string_view ident = v.substr(start, end - start);
    return !ident.empty() && !(numbers_strict && IsBadNumber(ident));
  };
  for (; i < v.size() && v[i] != stop; ++i) {
    if (v[i] == '.') {
      if (!ident_ok(i)) return std::nullopt;
      start = i + 1;
    } else if (!IsIdentChar(v[i])) {
      return std::nullopt;
    }
  }
  if (!ident_ok(i)) return std::nullopt;
  const std::string_view taken = v.substr(0, i);
  v.remove_prefix(i);
  return taken;
}

std::optional<Parsed> Parse(std::string_view v) {
  if (v.empty() || v[0] != 'v') return std::nullopt;
  v.remove_prefix(1);
  Parsed p;
  std::optional<std::string_view> n = TakeNumber(v);
  if (!n) return std::nullopt;
  p.major = *n;
  if (v.empty()) {
    p.minor = p.patch = "0";
    p.short_fill = ".0.0";
    return p;
  }
  if (v[0] != '.') return std::nullopt;
  v.remove_prefix(1);
  if (!(n = TakeNumber(v))) return std::nullopt;
  p.minor = *n;
  if (v.empty()) {
    p.patch = "0";
    p.short_fill = ".0";
    return p;
  }
  if (v[0] != '.') return std::nullopt;
  v.remove_prefix(1);
  if (!(n = TakeNumber(v))) return std::nullopt;
  p.patch = *n;
  if (!v.empty() && v[0] == '-') {
    if (!(n = TakeIdents(v, '-', '+', true))) return std::nullopt;
    p.prerelease = *n;
  }
  if (!v.empty() && v[0] == '+') {
    if (!(n = TakeIdents(v, '+', '\0', false))) return std::nullopt;
    p.build = *n;
  }
  if (!v.empty()) return std::nullopt;
  return p;
}

// Numbers have no leading zeros, so the longer one is larger; equal lengths
// compare as strings. Any size works (§3.2).
int CompareNumbers(std::string_view x, std::string_view y) {
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return x == y ? 0 : (x < y ? -1 : 1);
}

int ComparePrerelease(std::string_view x, std::string_view y) {
  if (x == y) return 0;
  if (x.empty()) return 1;  // a release sorts after its prereleases
  if (y.empty()) return -1;
  while (!x.empty() && !y.empty()) {
    x.remove_prefix(1);  // the '-' or '.' in front of the identifier
    y.remove_prefix(1);
    const std::string_view dx = x.substr(0, x.find('.'));
    const std::string_view dy = y.substr(0, y.find('.'));
    x.remove_prefix(dx.size());
    y.remove_prefix(dy.size());
    if (dx == dy) continue;
    const bool nx = IsNumeric(dx);
    const bool ny = IsNumeric(dy);
    if (nx != ny) return nx ? -1 : 1;  // numeric identifiers sort first
    if (nx) return CompareNumbers(dx, dy);
    return dx < dy ? -1 : 1;
  }
  return x.empty() ? -1 : 1;
}

}  // namespace

bool IsValid(std::string_view v) { return Parse(v).has_value(); }

std::string Canonical(std::string_view v) {
  const std::optional<Parsed> p = Parse(v);
  if (!p) return "";
  if (!p->build.empty()) return std::string(v.substr(0, v.size() - p->build.size()));
  return std::string(v) + std::string(p->short_fill);
}

std::string Major(std::string_view v) {
  const std::optional<Parsed> p = Parse(v);
  return p ? "v" + std::string(p->major) : "";
}

std::string Prerelease(std::string_view v) {
  const std::optional<Parsed> p = Parse(v);
  return p ? std::string(p->prerelease) : "";
}

std::string Build(std::string_view v) {
  const std::optional<Parsed> p = Parse(v);
  return p ? std::string(p->build) : "";
}

int Compare(std::string_view v, std::string_view w) {
  const std::optional<Parsed> pv = Parse(v);
  const std::optional<Parsed> pw = Parse(w);
  if (!pv || !pw) return (pv ? 1 : 0) - (pw ? 1 : 0);
  if (int c = CompareNumbers(pv->major, pw->major); c != 0) return c;
  if (int c = CompareNumbers(pv->minor, pw->minor); c != 0) return c;
  if (int c = CompareNumbers(pv->patch, pw->patch); c != 0) return c;
  return ComparePrerelease(pv->prerelease, pw->prerelease);
}

void Sort(std::vector<std::string>& versions) {
  std::sort(versions.begin(), versions.end(), [](const std::string& a, const std::string& b) {
    const int c = Compare(a, b);
    return c != 0 ? c < 0 : a < b;
  });
}

}  // namespace modproxy::protocol::semver

namespace modproxy::protocol {

std::string CanonicalVersion(std::string_view v) {
  std::string canonical = semver::Canonical(v);
  if (semver::Build(v) == "+incompatible") canonical += "+incompatible";
  return canonical;
}

bool IsCanonicalVersion(std::string_view v) {
  return semver::IsValid(v) && CanonicalVersion(v) == v;
}

// module.IsPseudoVersion, written against the parsed version instead of a
// regular expression (§4.2). The build suffix is free: any valid semver build
// has the shape the pattern allows.
bool IsPseudoVersion(std::string_view v) {
  if (std::count(v.begin(), v.end(), '-') < 2) return false;
  const std::optional<semver::Parsed> p = semver::Parse(v);
  if (!p || p->prerelease.empty()) return false;
  const std::string_view pre = p->prerelease.substr(1);
  // REV: the alphanumerics after the last '-'.
  const std::size_t dash = pre.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == pre.size()) return false;
  const std::string_view rev = pre.substr(dash + 1);
  if (!std::all_of(rev.begin(), rev.end(),
                   [](char c) { return c != '-' && semver::IsIdentChar(c); })) {
    return false;
  }
  // TS: exactly 14 digits in front of it.
  const std::string_view before = pre.substr(0, dash);
  if (before.size() < 14 || !semver::IsNumeric(before.substr(before.size() - 14))) return false;
  const std::string_view base = before.substr(0, before.size() - 14);
  // vX.0.0-TS-REV has nothing in front of TS; the forms with a base have
  // "0." there, at the start of the prerelease or after a '.'.
  if (base.empty()) return p->minor == "0" && p->patch == "0";
  return base == "0." || base.ends_with(".0.");
}

}  // namespace modproxy::protocol
