#!/usr/bin/env python3
"""README.md and the guides in docs/ stay a short front door and true to the code.

    python3 docs/check_guides.py <source dir> [--allow-missing PATH ...]
    python3 docs/check_guides.py --self-test

Checks (test docs.guides):
- README.md is at most 12,000 bytes: the manual lives in docs/.
- Every ```cpp, ```cmake and ```json block is copied from a program the build compiles: the last repository path
  named before the block (examples/, tests/, benchmarks/ or test_package/) is a file that holds every line of the
  block (leading and trailing spaces aside), so a snippet cannot drift from the code the tests build.
- Nothing points outside the repository (../shared/, /work/).
- Every relative link resolves to a file in the repository; --allow-missing names one that may be absent (a guide
  being written elsewhere).
Exits 1 and names each problem with its file and line.
"""

import pathlib
import re
import sys
import tempfile

README_LIMIT = 12_000
CHECKED_BLOCK = re.compile(r"^[ \t]*```(cpp|cmake|json)[ \t]*\n(.*?)^[ \t]*```", re.S | re.M)
SOURCE = re.compile(r"\b((?:examples|tests|benchmarks|test_package)/[\w./-]*?"
                    r"(?:\.cpp|\.hpp|\.cu|\.json|\.cmake|CMakeLists\.txt))")
OUTSIDE = re.compile(r"\.\./shared|/work/")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def line_of(text, index):
    return text.count("\n", 0, index) + 1


def problems_in(root, md, allow_missing):
    text = md.read_text(encoding="utf-8")
    name = md.relative_to(root).as_posix()
    found = []
    for block in CHECKED_BLOCK.finditer(text):
        sources = SOURCE.findall(text, 0, block.start())
        where = f"{name}:{line_of(text, block.start())}"
        if not sources:
            found.append(f"{where}: a ```{block.group(1)} block that names no program it is copied from")
            continue
        source = root / sources[-1]
        if not source.is_file():
            found.append(f"{where}: the block's source {sources[-1]} does not exist")
            continue
        lines = {line.strip() for line in source.read_text(encoding="utf-8").splitlines()}
        for offset, line in enumerate(block.group(2).splitlines(), start=1):
            if line.strip() and line.strip() not in lines:
                found.append(f"{where}+{offset}: not in {sources[-1]}: {line.strip()}")
    for match in OUTSIDE.finditer(text):
        found.append(f"{name}:{line_of(text, match.start())}: points outside the repository: {match.group(0)}")
    for match in LINK.finditer(text):
        target = match.group(1).split("#", 1)[0]
        if not target or re.match(r"[a-z]+:", target):
            continue
        resolved = (md.parent / target).resolve()
        relative = resolved.relative_to(root.resolve()).as_posix() if resolved.is_relative_to(root.resolve()) else None
        if relative is None:
            found.append(f"{name}:{line_of(text, match.start())}: a link out of the repository: {target}")
        elif not resolved.exists() and relative not in allow_missing:
            found.append(f"{name}:{line_of(text, match.start())}: a link to a missing file: {target}")
    return found


def check(root, allow_missing):
    readme = root / "README.md"
    found = []
    if readme.stat().st_size > README_LIMIT:
        found.append(f"README.md: {readme.stat().st_size} bytes, expected at most {README_LIMIT}: move text into docs/")
    for md in [readme, *sorted((root / "docs").glob("*.md"))]:
        found += problems_in(root, md, allow_missing)
    return found


def self_test():
    """The checks fail where they should: a drifted snippet, an unnamed one, a link out, a missing file."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "docs").mkdir()
        (root / "examples").mkdir()
        (root / "examples" / "a.cpp").write_text("int main() {\n    return 0;\n}\n")
        (root / "README.md").write_text("From `examples/a.cpp`:\n\n```cpp\nint main() {\n    return 0;\n}\n```\n"
                                        "[guide](docs/g.md)\n")
        (root / "docs" / "g.md").write_text("# G\n")
        assert check(root, set()) == [], check(root, set())
        (root / "docs" / "g.md").write_text("From `examples/a.cpp`:\n```cpp\n    return 1;\n```\n```cmake\nx()\n```\n"
                                            "[out](../../x.md) [gone](h.md) ../shared/\n")
        found = "\n".join(check(root, set()))
        for expected in ("not in examples/a.cpp: return 1;", "not in examples/a.cpp: x()", "a link out",
                         "a link to a missing file: h.md", "points outside the repository"):
            assert expected in found, f"expected '{expected}' in:\n{found}"
        assert "h.md" not in "\n".join(check(root, {"docs/h.md"}))
        (root / "README.md").write_text("x" * (README_LIMIT + 1))
        assert "bytes, expected at most" in "\n".join(check(root, set()))
    print("check_guides: self-test passed")


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        self_test()
        return
    if not args:
        sys.exit(__doc__)
    root, allow_missing = pathlib.Path(args[0]), set()
    rest = args[1:]
    while rest:
        if rest[0] != "--allow-missing" or len(rest) < 2:
            sys.exit(__doc__)
        allow_missing.add(rest[1])
        rest = rest[2:]
    found = check(root, allow_missing)
    for problem in found:
        print(problem)
    if found:
        sys.exit(1)
    print(f"check_guides: README.md {(root / 'README.md').stat().st_size} bytes; snippets, links and paths checked")


if __name__ == "__main__":
    main()
