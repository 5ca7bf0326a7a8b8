# The policy step of a request: identity, path rules, budgets.
if(TARGET modproxy_policy_limits AND TARGET modproxy_policy_auth)
  modproxy_library(policy SOURCES policy/gate.cc DEPS modproxy_policy_limits modproxy_policy_auth)
  modproxy_unit_test(policy_gate_test SOURCES policy/gate_test.cc DEPS modproxy_policy)
endif()
