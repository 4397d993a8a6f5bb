#!/usr/bin/env python3
"""The folders of include/latent/ form a DAG: no header includes one that sits above it in docs/architecture.md's order.

    python3 tests/static/check_includes.py <source dir>
    python3 tests/static/check_includes.py --self-test

The order is the first fenced block under the heading "## The order" in docs/architecture.md: one layer per line,
lower layers first. Each entry on a line is a folder relative to include/latent/ ("." for include/latent/ itself,
where the umbrella headers are) or a single header that sits apart from the rest of its folder; entries on one line
are peers. A line "A -> B" states that peer A may include peer B. Anything after a '#' is a comment.

Checks (test architecture.includes):
- A header (or .cu file) in entry A may include, with #include "latent/..." or <latent/...>, a header of A itself,
  of an entry in a lower layer, or of a peer B where "A -> B" is stated. Anything else climbs against the order.
- Every folder under include/latent/ is named in the order, and every entry names a folder or header that exists,
  once.
Exits 1 and names each problem with its file and line and both entries.
"""

import pathlib
import re
import shutil
import sys
import tempfile

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]latent/([^>"]+)[>"]', re.M)
SOURCES = (".hpp", ".h", ".cu", ".cuh")
HEADING = "## The order"


class Order:
    """The entries of the order block: their layers, which are files, and the stated peer includes."""

    def __init__(self, layer_of, allowed):
        self.layer_of = layer_of  # entry -> its layer: 1 for the first line, the lowest
        self.allowed = allowed    # {(A, B)}: peer A may include peer B

    def entry_of(self, path):
        """The entry a path relative to include/latent/ belongs to: itself when named, else its folder."""
        if path in self.layer_of:
            return path
        folder = path.rsplit("/", 1)[0] if "/" in path else "."
        return folder

    def may_include(self, a, b):
        if a == b or (a, b) in self.allowed:
            return True
        return a in self.layer_of and b in self.layer_of and self.layer_of[b] < self.layer_of[a]


def read_order(architecture):
    """The order block of docs/architecture.md as an Order, and the problems found in the block itself."""
    text = architecture.read_text(encoding="utf-8")
    name = "docs/architecture.md"
    heading = re.search(rf"^{re.escape(HEADING)}[ \t]*$", text, re.M)
    block = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M).search(text, heading.end()) if heading else None
    if not block:
        return None, [f"{name}: no fenced block under a heading '{HEADING}': the folder order is missing"]
    first_line = text.count("\n", 0, block.start(1)) + 1
    layer_of, allowed, arrows, problems, layer = {}, set(), [], [], 1
    for offset, raw in enumerate(block.group(1).splitlines()):
        line = raw.split("#", 1)[0].strip()
        where = f"{name}:{first_line + offset}"
        if not line:
            continue
        if "->" in line:
            parts = [part.strip() for part in line.split("->")]
            if len(parts) != 2 or not all(parts) or any(" " in part for part in parts):
                problems.append(f"{where}: expected 'A -> B', found '{line}'")
            else:
                arrows.append((where, parts[0], parts[1]))
            continue
        for entry in line.split():
            entry = entry.rstrip("/") or "."
            if entry in layer_of:
                problems.append(f"{where}: {entry} is named twice")
            layer_of[entry] = layer
        layer += 1
    for where, a, b in arrows:
        if a not in layer_of or b not in layer_of:
            problems.append(f"{where}: '{a} -> {b}' names an entry that is not in the order")
        elif layer_of[a] != layer_of[b]:
            problems.append(f"{where}: '{a} -> {b}': only peers (entries on one line) need a stated include")
        else:
            allowed.add((a, b))
    return Order(layer_of, allowed), problems


def check(root):
    include = root / "include" / "latent"
    order, found = read_order(root / "docs" / "architecture.md")
    if order is None:
        return found
    folders = {"."} | {p.relative_to(include).as_posix() for p in include.rglob("*") if p.is_dir()}
    for folder in sorted(folders):
        if folder not in order.layer_of:
            found.append(f"include/latent/{folder}/: a folder that docs/architecture.md's order does not name")
    for entry in sorted(order.layer_of):
        if not (include / entry).exists():
            found.append(f"docs/architecture.md: the order names {entry}, which is not in include/latent/")
    for source in sorted(p for p in include.rglob("*") if p.is_file() and p.suffix in SOURCES):
        relative = source.relative_to(include).as_posix()
        a = order.entry_of(relative)
        text = source.read_text(encoding="utf-8")
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            b = order.entry_of(target)
            if order.may_include(a, b):
                continue
            line = text.count("\n", 0, match.start()) + 1
            layer_a, layer_b = order.layer_of.get(a), order.layer_of.get(b)
            how = "a peer of" if layer_a is not None and layer_a == layer_b else "above"
            found.append(f"include/latent/{relative}:{line}: includes latent/{target}, but {b} (layer {layer_b}) is "
                         f"{how} {a} (layer {layer_a}) in docs/architecture.md's order")
    return found


def self_test(source_root):
    """The check fails where it should: a planted climb, a planted peer include, an unnamed folder, a stale entry,
    in a copy of this repository's headers and order; and passes on a small tree that keeps its order."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        shutil.copytree(source_root / "include" / "latent", root / "include" / "latent")
        (root / "docs").mkdir()
        shutil.copy(source_root / "docs" / "architecture.md", root / "docs" / "architecture.md")
        before = check(root)

        # A layer that includes a model climbs: reported with its file, line and both folders.
        planted = root / "include" / "latent" / "layers" / "dense.hpp"
        lines = planted.read_text(encoding="utf-8").splitlines(keepends=True)
        lines.insert(1, '#include "latent/models/model.hpp"\n')
        planted.write_text("".join(lines), encoding="utf-8")
        after = check(root)
        new = [problem for problem in after if problem not in before]
        assert len(new) == 1, f"expected one new problem, found:\n" + "\n".join(new)
        assert new[0].startswith("include/latent/layers/dense.hpp:2: includes latent/models/model.hpp, but models"), new
        assert "above layers" in new[0], new

        # Peers do not include each other: the CPU backend including the CUDA one is reported too.
        peer = root / "include" / "latent" / "backends" / "cpu" / "policy.hpp"
        peer.write_text('#include <latent/backends/cuda/runtime.hpp>\n' + peer.read_text(encoding="utf-8"))
        assert any(p.startswith("include/latent/backends/cpu/policy.hpp:1: includes latent/backends/cuda/runtime.hpp")
                   and "a peer of backends/cpu" in p for p in check(root)), check(root)

        # A folder the order does not name fails, as does an entry that names nothing.
        (root / "include" / "latent" / "extras").mkdir()
        (root / "include" / "latent" / "extras" / "x.hpp").write_text("#pragma once\n")
        assert "include/latent/extras/: a folder that docs/architecture.md's order does not name" in check(root)
        shutil.rmtree(root / "include" / "latent" / "regularizers")
        assert "docs/architecture.md: the order names regularizers, which is not in include/latent/" in check(root)

    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        include = root / "include" / "latent"
        for folder in ("core", "a", "b", "top"):
            (include / folder).mkdir(parents=True)
        (root / "docs").mkdir()
        architecture = root / "docs" / "architecture.md"
        architecture.write_text(f"# A\n\n```text\nnot this block\n```\n\n{HEADING}\n\n```text\n"
                                "core\ntop/low.hpp  # a header apart from its folder\na b\na -> b\ntop\n.\n```\n")
        (include / "core" / "c.hpp").write_text("#pragma once\n")
        (include / "top" / "low.hpp").write_text('#include "latent/core/c.hpp"\n')
        (include / "a" / "a.hpp").write_text('#include "latent/b/b.hpp"\n#include "latent/top/low.hpp"\n')
        (include / "b" / "b.hpp").write_text('#include "latent/core/c.hpp"\n')
        (include / "top" / "t.hpp").write_text('#include "latent/a/a.hpp"\n#include "latent/top/low.hpp"\n')
        (include / "all.hpp").write_text('#include "latent/top/t.hpp"\n')
        assert check(root) == [], check(root)
        (include / "b" / "b.hpp").write_text('#include "latent/a/a.hpp"\n')
        assert check(root) == ["include/latent/b/b.hpp:1: includes latent/a/a.hpp, but a (layer 3) is a peer of b "
                               "(layer 3) in docs/architecture.md's order"], check(root)
        (include / "b" / "b.hpp").write_text("#pragma once\n")
        (include / "top" / "low.hpp").write_text('#include "latent/top/t.hpp"\n')
        assert check(root) == ["include/latent/top/low.hpp:1: includes latent/top/t.hpp, but top (layer 4) is above "
                               "top/low.hpp (layer 2) in docs/architecture.md's order"], check(root)
        (include / "top" / "low.hpp").write_text('#include "latent/core/c.hpp"\n')
        architecture.write_text(architecture.read_text().replace("a -> b\n", ""))  # a.hpp includes b/b.hpp
        assert [p.split(":", 2)[:2] for p in check(root)] == [["include/latent/a/a.hpp", "1"]], check(root)
        architecture.write_text("# A\n")
        assert check(root) == ["docs/architecture.md: no fenced block under a heading '## The order': the folder "
                               "order is missing"], check(root)
    print("check_includes: self-test passed")


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        self_test(pathlib.Path(__file__).resolve().parents[2])
        return
    if len(args) != 1:
        sys.exit(__doc__)
    root = pathlib.Path(args[0])
    found = check(root)
    for problem in found:
        print(problem)
    if found:
        sys.exit(1)
    order, _ = read_order(root / "docs" / "architecture.md")
    print(f"check_includes: every #include in include/latent/ keeps the order of {len(order.layer_of)} entries "
          f"in docs/architecture.md")


if __name__ == "__main__":
    main()
