#!/usr/bin/python3
"""duress_disk.py DIR... -- NEEDLE...: every file under the DIRs (skinkey's data, config, cache
and runtime files: state.db with its WAL, free pages and all) is searched for each NEEDLE: hex
digits are searched as text (either case) and as the bytes they spell, base64 ssh keys
(ecdsa-sha2-...) as their public point. Prints the hits; exit 1 when any."""
import base64
import os
import struct
import sys

i = sys.argv.index("--")
dirs, needles = sys.argv[1:i], sys.argv[i + 1:]
pats = []
for n in needles:
    if n.startswith("AAAA"):   # an ssh public key blob: its last string is the EC point
        b = base64.b64decode(n)
        off, parts = 0, []
        while off + 4 <= len(b):
            (ln,) = struct.unpack(">I", b[off:off + 4])
            parts.append(b[off + 4:off + 4 + ln])
            off += 4 + ln
        pats.append((n[:16] + "...", parts[-1]))
        continue
    pats.append((n, n.lower().encode()))
    pats.append((n, n.upper().encode()))
    if len(n) % 2 == 0:
        pats.append((n + " (bytes)", bytes.fromhex(n)))
hits = 0
for d in dirs:
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            for name, pat in pats:
                if pat and pat in data:
                    print("%s holds %s" % (p, name))
                    hits += 1
sys.exit(1 if hits else 0)
