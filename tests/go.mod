module modproxy/tests

go 1.19
