#include "modproxy/vcs/pseudo_version.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "modproxy/protocol/semver.h"

namespace modproxy::vcs {
namespace {

namespace semver = protocol::semver;

Error Invalid(std::string reason) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(reason));
}

// Civil date from days since 1970-01-01 and back (proleptic Gregorian), so
// that no time zone database or locale is involved.
struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

CivilDate CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::int64_t DaysFromCivil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t yoe = year - era * 400;
  const std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysIn(int month, std::int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Decimal increment with carry ("9" -> "10"), as x/mod's incDecimal.
std::string IncDecimal(std::string digits) {
  std::size_t i = digits.size();
  while (i > 0 && digits[i - 1] == '9') digits[--i] = '0';
  if (i > 0) {
    ++digits[i - 1];
  } else {
    digits.insert(digits.begin(), '1');
  }
  return digits;
}

// Decimal decrement; "" when that would go below zero. "10" -> "9".
std::string DecDecimal(std::string digits) {
  std::size_t i = digits.size();
  while (i > 0 && digits[i - 1] == '0') digits[--i] = '9';
  if (i == 0) return "";
  if (i == 1 && digits[0] == '1' && digits.size() > 1) {
    digits.erase(0, 1);
  } else {
    --digits[i - 1];
  }
  return digits;
}

struct Parts {
  std::string base;
  std::string timestamp;
  std::string rev;
  std::string build;
};

Result<Parts> Parse(std::string_view v) {
  if (!protocol::IsPseudoVersion(v)) return Invalid("syntax error");
  Parts p;
  p.build = semver::Build(v);
  v.remove_suffix(p.build.size());
  const std::size_t j = v.rfind('-');
  p.rev = std::string(v.substr(j + 1));
  v = v.substr(0, j);
  const std::size_t i = v.rfind('-');
  const std::size_t dot = v.rfind('.');
  if (dot != std::string_view::npos && dot > i) {
    p.base = std::string(v.substr(0, dot));  // vX.Y.Z-pre.0 or vX.Y.(Z+1)-0
    p.timestamp = std::string(v.substr(dot + 1));
  } else {
    p.base = std::string(v.substr(0, i));  // vX.0.0
    p.timestamp = std::string(v.substr(i + 1));
  }
  return p;
}

}  // namespace

std::string PseudoVersionTimestamp(std::int64_t unix_seconds) {
  const std::int64_t days = FloorDiv(unix_seconds, 86400);
  const std::int64_t secs = unix_seconds - days * 86400;
  const CivilDate d = CivilFromDays(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld%02d%02d%02d%02d%02d", static_cast<long long>(d.year),
                d.month, d.day, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

std::string PseudoVersion(std::string_view major, std::string_view older, std::int64_t unix_seconds,
                          std::string_view rev) {
  const std::string m = major.empty() ? "v0" : std::string(major);
  const std::string segment = PseudoVersionTimestamp(unix_seconds) + "-" + std::string(rev);
  const std::string build = semver::Build(older);
  const std::string base = semver::Canonical(older);
  if (base.empty()) return m + ".0.0-" + segment;
  if (!semver::Prerelease(base).empty()) return base + ".0." + segment + build;
  const std::size_t i = base.rfind('.') + 1;
  return base.substr(0, i) + IncDecimal(base.substr(i)) + "-0." + segment + build;
}

std::string ZeroPseudoVersion(std::string_view major) {
  // 0001-01-01T00:00:00Z, Go's zero time.
  constexpr std::int64_t kGoZeroTime = -62135596800;
  return PseudoVersion(major, "", kGoZeroTime, "000000000000");
}

bool IsZeroPseudoVersion(std::string_view v) { return v == ZeroPseudoVersion(semver::Major(v)); }

Result<std::string> PseudoVersionBase(std::string_view v) {
  Result<Parts> parts = Parse(v);
  if (!parts) return parts.error();
  std::string base = parts->base;
  const std::string pre = semver::Prerelease(base);
  if (pre.empty()) {
    if (!parts->build.empty()) {
      return Invalid("lacks base version, but has build metadata \"" + parts->build + "\"");
    }
    return std::string();
  }
  if (pre == "-0") {
    base.resize(base.size() - pre.size());
    const std::size_t i = base.rfind('.');
    const std::string patch = DecDecimal(base.substr(i + 1));
    if (patch.empty()) {
      return Invalid("version before " + base + " would have negative patch number");
    }
    return base.substr(0, i + 1) + patch + parts->build;
  }
  // IsPseudoVersion guarantees the ".0" in front of the timestamp.
  base.resize(base.size() - 2);
  return base + parts->build;
}

Result<std::int64_t> PseudoVersionTime(std::string_view v) {
  Result<Parts> parts = Parse(v);
  if (!parts) return parts.error();
  const std::string& ts = parts->timestamp;
  const auto num = [&](std::size_t pos, std::size_t n) { return std::stoi(ts.substr(pos, n)); };
  const int year = num(0, 4);
  const int month = num(4, 2);
  const int day = num(6, 2);
  const int hour = num(8, 2);
  const int minute = num(10, 2);
  const int second = num(12, 2);
  // time.Parse's range checks for layout "20060102150405".
  if (month < 1 || month > 12 || day < 1 || day > DaysIn(month, year) || hour > 23 || minute > 59 ||
      second > 59) {
    return Invalid("malformed time \"" + ts + "\"");
  }
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

Result<std::string> PseudoVersionRev(std::string_view v) {
  Result<Parts> parts = Parse(v);
  if (!parts) return parts.error();
  return parts->rev;
}

}  // namespace modproxy::vcs
