# zipbuild: targets (see the comment in ../CMakeLists.txt).
