# vcs: targets (see the comment in ../CMakeLists.txt).
