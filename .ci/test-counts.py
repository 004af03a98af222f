#!/usr/bin/env python3
"""Prints how many tests ran in each Swift test target, and fails when a target ran none.

    python3 .ci/test-counts.py [.build/xunit-swift-testing.xml]

Reads the report `swift test --xunit-output .build/xunit.xml` writes (Swift Testing's goes to
`.build/xunit-swift-testing.xml`) and the package's test targets (`swift package dump-package`).
A target that builds but whose tests never run — a suite filtered away, a test file left out,
a runner that stopped early — passes silently otherwise; here it fails the run.
"""

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter

report = sys.argv[1] if len(sys.argv) > 1 else ".build/xunit-swift-testing.xml"
package = json.loads(subprocess.run(["swift", "package", "dump-package"], check=True, capture_output=True, text=True).stdout)
targets = sorted(target["name"] for target in package["targets"] if target["type"] == "test")

ran = Counter()
failed = Counter()
for case in ElementTree.parse(report).getroot().iter("testcase"):
    target = case.get("classname", "").split(".")[0]
    ran[target] += 1
    if case.find("failure") is not None or case.find("error") is not None:
        failed[target] += 1

print("tests run per target:")
for target in targets:
    print(f"  {target:<16} {ran[target]:>5}" + (f"  ({failed[target]} failed)" if failed[target] else ""))
print(f"  {'total':<16} {sum(ran[t] for t in targets):>5}")
empty = [target for target in targets if ran[target] == 0]
if empty:
    print(f"no tests ran in: {', '.join(empty)}", file=sys.stderr)
    sys.exit(1)
