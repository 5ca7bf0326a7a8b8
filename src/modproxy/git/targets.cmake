# git: targets (see the comment in ../CMakeLists.txt).
