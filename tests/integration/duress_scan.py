#!/usr/bin/env python3
"""duress_scan.py PATTERNS DIR... — every regular file under the DIRs, raw, and the `sqlite3
.dump` of every SQLite database among them, searched for each pattern of PATTERNS (one a line:
`text:STRING`, matched ignoring case; `hex:HEX`, matched as raw bytes, as bytes reversed, and
as hex text in either case). Prints `HIT <file> <pattern>` for each hit and a summary; exit 1
when anything was found, 2 on a usage or read error."""
import os
import subprocess
import sys


def load(path):
    pats = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            kind, _, val = line.partition(":")
            if kind == "text" and val:
                pats.append((line, [], [val.lower().encode()]))
            elif kind == "hex" and val:
                raw = bytes.fromhex(val)
                pats.append((line, [raw, raw[::-1]], [val.lower().encode()]))
            else:
                sys.exit(f"duress_scan: bad pattern line: {line!r}")
    return pats


def scan(name, data, pats, hits):
    low = data.lower()
    for label, raw, folded in pats:
        if any(f in data for f in raw) or any(f in low for f in folded):
            hits.append((name, label))


def main():
    if len(sys.argv) < 3:
        sys.exit(2)
    pats = load(sys.argv[1])
    hits, files, dumps = [], 0, 0
    for top in sys.argv[2:]:
        for d, _, names in os.walk(top):
            for n in names:
                p = os.path.join(d, n)
                if not os.path.isfile(p) or os.path.islink(p):
                    continue
                with open(p, "rb") as f:
                    data = f.read()
                files += 1
                scan(p, data, pats, hits)
                if data.startswith(b"SQLite format 3\0"):
                    out = subprocess.run(["sqlite3", "-readonly", p, ".dump"],
                                         capture_output=True, check=False)
                    if out.returncode != 0:
                        print(f"duress_scan: sqlite3 .dump {p}: {out.stderr.decode()}")
                        sys.exit(2)
                    dumps += 1
                    scan(p + " (.dump)", out.stdout, pats, hits)
    for name, label in hits:
        print(f"HIT {name} {label}")
    print(f"scanned {files} files, {dumps} sqlite dumps, {len(pats)} patterns: {len(hits)} hits")
    sys.exit(1 if hits else 0)


main()
