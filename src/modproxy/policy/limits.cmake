# Budgets (pure): token buckets per client, limits per class and identity,
# the client IP behind trusted proxies, concurrent upstream fetches per client.
modproxy_library(policy_limits
  SOURCES policy/memory_rate_limiter.cc policy/limits.cc policy/client_ip.cc
          policy/fetch_slots.cc
  DEPS modproxy_core modproxy_ip_address)
modproxy_unit_test(policy_limits_test
  SOURCES policy/memory_rate_limiter_test.cc policy/limits_test.cc policy/client_ip_test.cc
          policy/fetch_slots_test.cc
  DEPS modproxy_policy_limits)
