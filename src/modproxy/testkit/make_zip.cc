#include "modproxy/testkit/make_zip.h"

#include <stdlib.h>
#include <unistd.h>
#include <zip.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace modproxy::testkit {

std::string MakeZip(const std::map<std::string, std::string>& files) {
  std::string path = "/tmp/modproxy-testzip-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_TRUNCATE, &error);
  if (archive == nullptr) throw std::runtime_error("zip_open failed");
  for (const auto& [name, content] : files) {
    zip_source_t* source = zip_source_buffer(archive, content.data(), content.size(), 0);
    zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8);
  }
  if (zip_close(archive) != 0) throw std::runtime_error("zip_close failed");
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  ::unlink(path.c_str());
  return bytes.str();
}

}  // namespace modproxy::testkit
