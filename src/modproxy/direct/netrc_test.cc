#include "modproxy/direct/netrc.h"

#include <gtest/gtest.h>

namespace modproxy::direct {
namespace {

TEST(Netrc, ReadsMachineEntriesAsTheGoCommand) {
  std::vector<NetrcEntry> entries = ParseNetrc(
      "machine git.corp.example login ci password s3cret\n"
      "machine other.example\n  login bob\n  password pw\n"
      "machine nologin.example password x\n"
      "macdef init\nmachine inside.macro login a password b\n\n"
      "machine after.macro login c password d\n"
      "default login anon password anon\n"
      "machine after.default login e password f\n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].machine, "git.corp.example");
  EXPECT_EQ(entries[0].login, "ci");
  EXPECT_EQ(entries[0].password, "s3cret");
  EXPECT_EQ(entries[1].machine, "other.example");
  EXPECT_EQ(entries[2].machine, "after.macro");
  EXPECT_EQ(FindNetrc(entries, "other.example")->login, "bob");
  EXPECT_FALSE(FindNetrc(entries, "inside.macro").has_value());
  EXPECT_FALSE(FindNetrc(entries, "after.default").has_value());
}

}  // namespace
}  // namespace modproxy::direct
