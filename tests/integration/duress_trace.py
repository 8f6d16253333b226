#!/usr/bin/python3
"""duress_trace.py TRACE MIN: in a skinkey-sim trace, every PIN-bearing APDU sent while the
DuressApplet is selected (redacted 00 20 SELECT_CONTEXT) comes directly after the applet's own
SELECT answered 90 00 (HACKING.md rule 1). At least MIN such APDUs must be there. Prints their
count; exit 1 on a violation."""
import re
import sys

SEL_DURESS = "00 A4 04 00 08 F0 44 55 52 45 53 53 01"
lines = [l.rstrip("\n") for l in open(sys.argv[1]) if l.startswith("skinkey-sim: ")]
cmds = []
for i, l in enumerate(lines):
    if l.startswith("skinkey-sim: >"):
        ans = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("skinkey-sim: <") else ""
        cmds.append((l[len("skinkey-sim: >"):].strip().upper(), ans.upper()))
selected = None
n = 0
for k, (c, a) in enumerate(cmds):
    if c.startswith("00 A4 04"):
        selected = "duress" if c.startswith(SEL_DURESS) and a.endswith("90 00") else "other"
        continue
    if selected == "duress" and re.match(r"\(DATA REDACTED\)\s+00 20\b", c):
        n += 1
        prev, pans = cmds[k - 1] if k else ("", "")
        if not prev.startswith(SEL_DURESS) or not pans.endswith("90 00"):
            print("SELECT_CONTEXT %r after %r / %r" % (c, prev, pans))
            sys.exit(1)
if n < int(sys.argv[2]):
    print("only %d SELECT_CONTEXT APDUs in the trace: trace not captured?" % n)
    sys.exit(1)
print("select_context=%d all directly after the DuressApplet's SELECT" % n)
