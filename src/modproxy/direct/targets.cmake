# direct: the `direct` upstream (issue 5): egress rules (proxy variables,
# internal addresses), credentials, discovery, routing a module path to its
# repository, and serving GOPROXY answers from a git mirror.

# IP addresses and CIDRs (pure): egress rules here, trusted proxies in policy/.
modproxy_library(ip_address SOURCES direct/ip_address.cc DEPS modproxy_core)
modproxy_library(direct_egress
  SOURCES direct/proxy_env.cc direct/netrc.cc direct/egress_policy.cc direct/curl_meta_fetcher.cc
  DEPS modproxy_ip_address modproxy_core CURL::libcurl)
modproxy_unit_test(direct_test SINGLE_THREADED
  SOURCES direct/ip_address_test.cc direct/proxy_env_test.cc direct/netrc_test.cc direct/egress_policy_test.cc
  DEPS modproxy_direct_egress)

modproxy_library(direct
  SOURCES direct/repo_resolver.cc direct/direct_upstream.cc direct/direct_mode.cc
  DEPS modproxy_direct_egress modproxy_vcs modproxy_git modproxy_zipbuild modproxy_upstream
       modproxy_config nlohmann_json::nlohmann_json spdlog::spdlog)
modproxy_unit_test(direct_upstream_test
  SOURCES direct/repo_resolver_test.cc
  DEPS modproxy_direct)
