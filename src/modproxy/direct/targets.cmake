# direct: targets (see the comment in ../CMakeLists.txt).
