# git: one bare libgit2 mirror per repository URL, read as a vcs::GitRepo.
# Fetches run in a child process (RunFetchChild) so that they can be killed.
modproxy_library(git
  SOURCES git/libgit2_init.cc git/mirror_repo.cc git/fetch_protocol.cc git/fetch_child.cc
          git/child_process.cc git/mirror_store.cc git/worktree_convert.cc
  DEPS modproxy_core PkgConfig::LIBGIT2 OpenSSL::Crypto nlohmann_json::nlohmann_json)

# The fetch child as its own executable, for the tests (modproxy has a
# hidden subcommand for it).
add_executable(git_fetch_child git/git_fetch_child_main.cc git/lsan_suppressions.cc)
target_link_libraries(git_fetch_child PRIVATE modproxy_git)
modproxy_apply_warnings(git_fetch_child)

modproxy_unit_test(git_test
  SOURCES git/mirror_repo_test.cc git/archive_file_test.cc git/mirror_store_test.cc
          git/fetch_protocol_test.cc
  DEPS modproxy_git)
add_dependencies(git_test git_fetch_child)
target_compile_definitions(git_test PRIVATE
  MODPROXY_GIT_FETCH_CHILD="$<TARGET_FILE:git_fetch_child>")
