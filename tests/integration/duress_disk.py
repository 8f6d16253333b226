#!/usr/bin/python3
"""duress_disk.py DIR... -- NEEDLE...: every file under the DIRs (skinkey's data, config, cache
and runtime files: state.db with its WAL, free pages and all), and the `sqlite3 .dump` of every
SQLite database among them, is searched for each NEEDLE: hex digits as text (any case) and as
the bytes they spell, in order and reversed (a little-endian integer); base64 ssh keys
(AAAA...) as their text and their last field (the EC point); anything else as text, ignoring
case. Prints "FILE holds NEEDLE" for each hit and a summary line; exit 1 when anything was
found, 2 when a database could not be dumped."""
import base64
import os
import re
import struct
import subprocess
import sys

i = sys.argv.index("--")
dirs, needles = sys.argv[1:i], sys.argv[i + 1:]
pats = []   # (name, bytes, case-folded?)
for n in needles:
    if not n:
        continue
    if n.startswith("AAAA"):   # an ssh public key blob: its last string is the EC point
        b = base64.b64decode(n)
        off, parts = 0, []
        while off + 4 <= len(b):
            (ln,) = struct.unpack(">I", b[off:off + 4])
            parts.append(b[off + 4:off + 4 + ln])
            off += 4 + ln
        pats.append((n[:16] + "... (point)", parts[-1], False))
        pats.append((n[:16] + "...", n.encode(), False))
    elif re.fullmatch(r"(?:[0-9a-fA-F]{2})+", n):
        pats.append((n, n.lower().encode(), True))
        pats.append((n + " (bytes)", bytes.fromhex(n), False))
        pats.append((n + " (bytes reversed)", bytes.fromhex(n)[::-1], False))
    else:
        pats.append((n, n.lower().encode(), True))


def scan(name, data):
    low, found = data.lower(), 0
    for what, pat, folded in pats:
        if pat in (low if folded else data):
            print("%s holds %s" % (name, what))
            found += 1
    return found


hits = files = dumps = 0
for d in dirs:
    for root, _, names in os.walk(d):
        for f in names:
            p = os.path.join(root, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue   # sockets, fifos
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            files += 1
            hits += scan(p, data)
            if data.startswith(b"SQLite format 3\0"):
                out = subprocess.run(["sqlite3", "-readonly", p, ".dump"],
                                     capture_output=True, check=False)
                if out.returncode != 0:
                    print("%s: sqlite3 .dump failed: %s" % (p, out.stderr.decode().strip()))
                    sys.exit(2)
                dumps += 1
                hits += scan(p + " (.dump)", out.stdout)
print("searched %d files and %d sqlite dumps for %d needles: %d hits" %
      (files, dumps, len(needles), hits))
sys.exit(1 if hits else 0)
