#include "modproxy/probe/format.h"

#include <gtest/gtest.h>

namespace modproxy::probe {
namespace {

TEST(FormatTableTest, Placeholder) { EXPECT_EQ(FormatTable({}), ""); }

}  // namespace
}  // namespace modproxy::probe
