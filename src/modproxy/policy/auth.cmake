# The auth file: identities, hashed tokens, allow/deny path rules (pure; reuses
# tlog's base64 for Basic credentials and token text).
modproxy_library(policy_auth
  SOURCES policy/auth_table.cc
  DEPS modproxy_protocol modproxy_tlog OpenSSL::Crypto PkgConfig::TOMLPP Boost::headers)
modproxy_unit_test(policy_auth_test SINGLE_THREADED
  SOURCES policy/auth_table_test.cc
  DEPS modproxy_policy_auth)
