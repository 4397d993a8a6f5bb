#!/usr/bin/env python3
"""Every public class, struct, union and concept of latent has a brief in the API reference.

    python3 docs/check_briefs.py <build>/docs/xml

Reads the XML that Doxygen writes beside the HTML (GENERATE_XML in Doxyfile.in). Public means in namespace latent,
not in a detail namespace and not a private or protected nested class; template specializations are covered by
their primary template's brief.
Exits 1 and names each one without a brief, with its file and line.
"""

import os
import sys
import xml.etree.ElementTree as ET

KINDS = {"class", "struct", "union", "concept"}


def text_of(element):
    return "".join(element.itertext()).strip() if element is not None else ""


def missing_briefs(xml_dir):
    index = ET.parse(os.path.join(xml_dir, "index.xml")).getroot()
    checked, missing = 0, []
    for compound in index.findall("compound"):
        name = compound.findtext("name") or ""
        if compound.get("kind") not in KINDS or not name.startswith("latent::"):
            continue
        if "::detail::" in name or "<" in name:
            continue
        definition = ET.parse(os.path.join(xml_dir, compound.get("refid") + ".xml")).getroot().find("compounddef")
        if definition.get("prot") in ("private", "protected"):  # nested in a class, not for users
            continue
        checked += 1
        if not text_of(definition.find("briefdescription")):
            location = definition.find("location")
            where = f"{location.get('file')}:{location.get('line')}" if location is not None else "?"
            missing.append(f"{where}: {compound.get('kind')} {name} has no brief (a /// comment above it)")
    return checked, missing


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    checked, missing = missing_briefs(sys.argv[1])
    if checked == 0:
        sys.exit(f"check_briefs: no public latent:: classes or concepts found in {sys.argv[1]}")
    for line in missing:
        print(line)
    print(f"check_briefs: {checked - len(missing)} of {checked} public classes and concepts have a brief")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
