#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

// x/mod zip's collisionChecker, shared by the check of a downloaded zip
// (protocol::CheckModuleZip) and the selection of files for a zip we build
// (zipbuild::SelectModuleFiles), so both refuse the same paths with the same
// words. Pure.
namespace modproxy::protocol {

// Case-fold collisions (strings.EqualFold) between paths, files that are
// also directories, and repeated files, over every path added and each of
// its parent directories.
class PathCollisions {
 public:
  // Adds `path` (a file, or a directory when `is_dir`) and its parents.
  // Returns the go command's reason when it cannot be added, or "":
  //   case-insensitive file name collision: "m.go" and "M.GO"
  //   entry "a" is both a file and a directory
  //   multiple entries for file "x.go"
  // `path` must be clean and pass CheckFilePath: the quoting in the reasons
  // matches Go's %q only for such paths.
  std::string Check(std::string_view path, bool is_dir);

 private:
  struct Seen {
    std::string path;
    bool is_dir;
    bool parents_ok = false;  // every parent directory was added without a collision
  };
  // Node-based: pointers to the values stay valid while more are added.
  std::unordered_map<std::string, Seen> seen_;
};

}  // namespace modproxy::protocol
