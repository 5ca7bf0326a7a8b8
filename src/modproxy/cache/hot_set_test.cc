#include "modproxy/cache/hot_set.h"

#include <gtest/gtest.h>

namespace modproxy::cache {
namespace {

HotSet::Entry Body(std::string text) {
  return {std::make_shared<const std::string>(std::move(text)), {}, {}};
}

TEST(HotSetTest, FindsWhatWasInserted) {
  HotSet set(1 << 20);
  EXPECT_FALSE(set.Find("a"));
  set.Insert("a", Body("alpha"));
  ASSERT_TRUE(set.Find("a"));
  EXPECT_EQ(*set.Find("a")->body, "alpha");
  set.Insert("a", Body("again"));
  EXPECT_EQ(*set.Find("a")->body, "again");
  EXPECT_EQ(set.size(), 1u);
  set.Erase("a");
  EXPECT_FALSE(set.Find("a"));
  EXPECT_EQ(set.bytes(), 0u);
}

TEST(HotSetTest, EvictsLeastRecentlyUsedPastCapacity) {
  // Each entry costs 1000 + 2*1 + 128 bytes: three fit, four do not.
  HotSet set(3 * 1130 + 100);
  set.Insert("a", Body(std::string(1000, 'a')));
  set.Insert("b", Body(std::string(1000, 'b')));
  set.Insert("c", Body(std::string(1000, 'c')));
  ASSERT_TRUE(set.Find("a"));  // "b" is now the least recently used
  set.Insert("d", Body(std::string(1000, 'd')));
  EXPECT_TRUE(set.Find("a"));
  EXPECT_FALSE(set.Find("b"));
  EXPECT_TRUE(set.Find("c"));
  EXPECT_TRUE(set.Find("d"));
  EXPECT_LE(set.bytes(), 3u * 1130 + 100);
}

TEST(HotSetTest, RefusesLargeBodiesAndZeroCapacity) {
  HotSet set(1 << 30);
  set.Insert("big", Body(std::string(HotSet::kMaxEntryBytes + 1, 'x')));
  EXPECT_FALSE(set.Find("big"));
  HotSet off(0);
  off.Insert("a", Body("alpha"));
  EXPECT_FALSE(off.Find("a"));
}

}  // namespace
}  // namespace modproxy::cache
