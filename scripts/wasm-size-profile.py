#!/usr/bin/env python3
"""Where a WebAssembly module's bytes go: its biggest functions and the crates they come from.

Usage: wasm-size-profile.py MODULE.wasm [TOP]

Reads the module's code section and its `name` section (wasm-bindgen keeps it before wasm-opt
runs, with demangled Rust paths), and prints the TOP (default 25) biggest function bodies, the
code bytes per crate, and the data section's size. scripts/build-wasm.sh prints this when the
verifier is over its size budget, so a failure names what grew. Standard library only: it runs
wherever the build runs.
"""
import collections
import re
import sys


def leb128(buf, i):
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def sections(buf):
    """(standard sections by id, custom sections by name): each a (start, end) byte range."""
    if buf[:4] != b"\0asm":
        sys.exit("not a WebAssembly module")
    standard, custom = {}, {}
    i = 8
    while i < len(buf):
        sid = buf[i]
        size, i = leb128(buf, i + 1)
        if sid == 0:
            n, j = leb128(buf, i)
            custom[buf[j:j + n].decode("utf-8", "replace")] = (j + n, i + size)
        else:
            standard[sid] = (i, i + size)
        i += size
    return standard, custom


def imported_functions(buf, imports):
    """How many functions the module imports (they come first in the function index space)."""
    if imports is None:
        return 0
    count, i = leb128(buf, imports[0])
    functions = 0
    for _ in range(count):
        for _ in range(2):  # module and field names
            n, i = leb128(buf, i)
            i += n
        kind = buf[i]
        i += 1
        if kind == 0:  # function: type index
            _, i = leb128(buf, i)
            functions += 1
        elif kind == 1:  # table: element type, limits
            i += 1
            flags, i = leb128(buf, i)
            _, i = leb128(buf, i)
            if flags & 1:
                _, i = leb128(buf, i)
        elif kind == 2:  # memory: limits
            flags, i = leb128(buf, i)
            _, i = leb128(buf, i)
            if flags & 1:
                _, i = leb128(buf, i)
        elif kind == 3:  # global: value type, mutability
            i += 2
        elif kind == 4:  # tag: attribute, type index
            i += 1
            _, i = leb128(buf, i)
    return functions


def function_names(buf, name_section):
    names = {}
    if name_section is None:
        return names
    i, end = name_section
    while i < end:
        sub = buf[i]
        size, i = leb128(buf, i + 1)
        if sub == 1:
            count, j = leb128(buf, i)
            for _ in range(count):
                index, j = leb128(buf, j)
                n, j = leb128(buf, j)
                names[index] = buf[j:j + n].decode("utf-8", "replace")
                j += n
        i += size
    return names


def crate_of(name):
    """The first path segment of a (demangled) Rust name, `<T as Trait>` unwrapped."""
    name = name.lstrip("<&").removeprefix("mut ").removeprefix("dyn ")
    m = re.match(r"([A-Za-z0-9_]+)(\[[0-9a-f]+\])?::", name)
    return m.group(1) if m else "(other: " + name[:40] + ")"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    top = int(sys.argv[2]) if len(sys.argv) == 3 else 25
    buf = open(sys.argv[1], "rb").read()
    standard, custom = sections(buf)
    first = imported_functions(buf, standard.get(2))
    names = function_names(buf, custom.get("name"))
    bodies = []
    if 10 in standard:
        count, i = leb128(buf, standard[10][0])
        for k in range(count):
            size, j = leb128(buf, i)
            bodies.append((size + j - i, names.get(first + k, f"function {first + k}")))
            i = j + size
    code = sum(s for s, _ in bodies)
    data = standard[11][1] - standard[11][0] if 11 in standard else 0
    print(f"{sys.argv[1]}: {len(buf)} bytes; code {code} in {len(bodies)} functions; data {data}")
    if not names:
        print("(no name section: profile the module wasm-bindgen wrote, before wasm-opt)")
    print(f"\nbiggest functions (bytes):")
    for size, name in sorted(bodies, reverse=True)[:top]:
        print(f"{size:>8}  {name[:140]}")
    per_crate = collections.Counter()
    for size, name in bodies:
        per_crate[crate_of(name)] += size
    print("\ncode per crate (bytes):")
    for crate, size in per_crate.most_common(top):
        print(f"{size:>8}  {crate}")


if __name__ == "__main__":
    main()
