# vcs: the go command's rules for turning a repository into module versions
# (pseudo-versions, go.mod module path and retractions, repository roots,
# coderepo.go over the abstract GitRepo). Pure: no I/O of its own.
modproxy_library(vcs
  SOURCES vcs/path_major.cc vcs/pseudo_version.cc vcs/modfile_syntax.cc vcs/gomod.cc
          vcs/discovery.cc vcs/repo_root.cc vcs/code_repo.cc vcs/code_repo_versions.cc
          vcs/code_repo_convert.cc
  DEPS modproxy_protocol)
modproxy_unit_test(vcs_test SINGLE_THREADED
  SOURCES vcs/pseudo_version_test.cc vcs/gomod_test.cc vcs/discovery_test.cc
          vcs/repo_root_test.cc vcs/code_repo_test.cc
  DEPS modproxy_vcs)
