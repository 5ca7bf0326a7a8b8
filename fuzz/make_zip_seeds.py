#!/usr/bin/env python3
"""Writes the tiny zip seeds of fuzz/corpus/zip_reader and fuzz/corpus/zip_rules.

Run once by hand (python3 fuzz/make_zip_seeds.py); the bytes are committed, so
builds and CI never run it. Every seed is a few hundred bytes: valid module
zips for example.com/m@v1.0.0 (the module zip_rules_fuzz checks), zip64,
data descriptors, a prepended stub, and zips broken in one way each.
"""
import io
import os
import struct
import warnings
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "example.com/m@v1.0.0/"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


class Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek in, so it writes data descriptors."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def make(files, compression=zipfile.ZIP_DEFLATED, zip64=False, stream=False, attrs=None):
    out = Unseekable() if stream else io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression, allowZip64=True) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = compression
            if attrs and name in attrs:
                info.create_system = 3
                info.external_attr = attrs[name] << 16
            if zip64 or stream:
                with z.open(info, "w", force_zip64=zip64) as f:
                    f.write(data)
            else:
                z.writestr(info, data)
    return bytes(out.buf if stream else out.getvalue())


MODULE = [
    (PREFIX + "go.mod", b"module example.com/m\n\ngo 1.21\n"),
    (PREFIX + "LICENSE", b"MIT\n"),
    (PREFIX + "m.go", b"package m\n\nfunc F() int { return 1 }\n"),
    (PREFIX + "sub/", b""),
    (PREFIX + "sub/s.go", b"package sub\n"),
]


def seeds():
    valid = make(MODULE)
    yield "module_deflate.zip", valid
    yield "module_stored.zip", make(MODULE, compression=zipfile.ZIP_STORED)
    yield "module_zip64.zip", make(MODULE[:2], zip64=True)
    yield "module_descriptor.zip", make(MODULE[:3], stream=True)
    yield "prepended_stub.zip", b"#!/bin/sh\nexit 0\n" + make(MODULE[:2])
    yield "empty.zip", make([])
    yield "comment.zip", valid[:-2] + struct.pack("<H", 5) + b"hello"
    yield "truncated_directory.zip", valid[:-40]
    # One byte of the stored go.mod changed: a CRC-32 mismatch.
    stored = bytearray(make(MODULE[:1], compression=zipfile.ZIP_STORED))
    stored[30 + len(MODULE[0][0])] ^= 0x20
    yield "crc_mismatch.zip", bytes(stored)
    # The same file declared 4 bytes shorter than it is (size lies).
    lying = bytearray(make(MODULE[:1], compression=zipfile.ZIP_STORED))
    cd = lying.rfind(b"PK\x01\x02")
    struct.pack_into("<I", lying, cd + 24, len(MODULE[0][1]) - 4)
    yield "size_mismatch.zip", bytes(lying)
    # Encrypted flag and an unknown method in the central directory.
    flags = bytearray(valid)
    cd = flags.find(b"PK\x01\x02")
    struct.pack_into("<H", flags, cd + 8, 1)
    struct.pack_into("<H", flags, flags.find(b"PK\x01\x02", cd + 4) + 10, 12)
    yield "encrypted_and_bzip2.zip", bytes(flags)
    # 64 KiB of zeros deflated to ~100 bytes: a small bomb.
    yield "zeros.zip", make([(PREFIX + "zeros", bytes(65536))])
    # Go allows a directory entry twice; directory entries may hold bytes.
    yield "duplicate_dirs.zip", make(
        [(PREFIX + "d/", b""), (PREFIX + "d/", b""), (PREFIX + "d/x.go", b"package d\n")],
        compression=zipfile.ZIP_STORED,
    )
    # What CheckModuleZip refuses: bad paths, collisions, symlinks, go.mod case.
    yield "rule_violations.zip", make(
        [
            (PREFIX + "../escape.go", b"x"),
            (PREFIX + "a/./b.go", b"x"),
            (PREFIX + "M.go", b"x"),
            (PREFIX + "m.go", b"x"),
            (PREFIX + "sub/GO.MOD", b"x"),
            (PREFIX + "link", b"target"),
            ("other.com/x@v1.0.0/a.go", b"x"),
            (PREFIX + "CON.txt", b"x"),
            (PREFIX + "\xe9t\xe9.go", b"x"),
        ],
        attrs={PREFIX + "link": 0o120777},
    )


def main():
    warnings.simplefilter("ignore")  # zipfile warns about the duplicate names
    for target in ("zip_reader", "zip_rules"):
        out = os.path.join(HERE, "corpus", target)
        os.makedirs(out, exist_ok=True)
        for name, data in seeds():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
