# zipbuild: module zips built from files as the go command builds them
# (x/mod zip.Create / CreateFromDir), for direct mode and `modproxy pack`.
modproxy_library(zipbuild
  SOURCES zipbuild/select_files.cc zipbuild/write_module_zip.cc zipbuild/list_directory.cc
          zipbuild/zip_writer.cc zipbuild/zip_names.cc
  DEPS modproxy_protocol ZLIB::ZLIB)
modproxy_unit_test(zipbuild_test SINGLE_THREADED
  SOURCES zipbuild/select_files_test.cc zipbuild/write_module_zip_test.cc
          zipbuild/list_directory_test.cc
  DEPS modproxy_zipbuild modproxy_modzip)
