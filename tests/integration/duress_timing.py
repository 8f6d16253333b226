#!/usr/bin/python3
"""duress_timing.py SOCKET N BLOCKS PIN_A PIN_B : time skinkeyd's unlock (DURESS UNLOCK, the PIN
by INQUIRE NEEDPIN, then DURESS LOCK) for two PINs, interleaved in random order within each
round so that load hits both alike, N rounds per block. After each block the pooled samples are
judged: the means within 1 ms and the two-sample Kolmogorov-Smirnov statistic under 0.1. With
N = 200 two identical distributions exceed KS 0.1 by chance about a quarter of the time, so an
inconclusive block is followed by another (pooled), up to BLOCKS blocks; the verdict is the
last pooled one. Prints figures; exit 0 pass, 1 a difference, 2 an error."""
import random
import socket
import sys
import time


class Assuan:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        if not self.f.readline().startswith(b"OK"):
            raise RuntimeError("no greeting")

    def cmd(self, line, pin=None):
        self.f.write(line.encode() + b"\n")
        self.f.flush()
        status = []
        while True:
            l = self.f.readline().decode().rstrip("\n")
            if not l:
                raise RuntimeError("connection closed after " + line)
            if l.startswith("INQUIRE NEEDPIN") and pin is not None:
                self.f.write(b"D " + pin.encode() + b"\nEND\n")
                self.f.flush()
            elif l.startswith("INQUIRE"):
                self.f.write(b"CAN\n")
                self.f.flush()
            elif l.startswith("S "):
                status.append(l[2:])
            elif l.startswith("OK"):
                return status
            elif l.startswith("ERR"):
                raise RuntimeError("%s: %s" % (line, l))


def ks(a, b):
    a, b = sorted(a), sorted(b)
    i = j = 0
    d = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] <= x:
            i += 1
        while j < len(b) and b[j] <= x:
            j += 1
        d = max(d, abs(i / len(a) - j / len(b)))
    return d


def main():
    path, n, blocks, pins = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:6]
    c = Assuan(path)
    t = {p: [] for p in pins}
    chips = {p: set() for p in pins}
    ok = False
    for blk in range(1, blocks + 1):
        for _ in range(n):
            order = list(pins)
            random.shuffle(order)
            for p in order:
                t0 = time.perf_counter()
                st = c.cmd("DURESS UNLOCK", p)
                dt = (time.perf_counter() - t0) * 1000.0
                t[p].append(dt)
                chips[p].update(s.split()[1] for s in st if s.startswith("DURESS-CHIP "))
                c.cmd("DURESS LOCK")
        a, b = t[pins[0]], t[pins[1]]
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        med = lambda v: sorted(v)[len(v) // 2]
        d = ks(a, b)
        ok = abs(ma - mb) < 1.0 and d < 0.1
        print("block=%d n=%d mean_a_ms=%.3f mean_b_ms=%.3f diff_ms=%.3f median_a_ms=%.3f "
              "median_b_ms=%.3f ks=%.4f %s" % (blk, len(a), ma, mb, ma - mb, med(a), med(b), d,
                                               "pass" if ok else "inconclusive"))
        sys.stdout.flush()
        if ok:
            break
    for p in pins:
        if len(chips[p]) != 1:
            print("PIN %s unlocked %s: not one context" % (p, sorted(chips[p])))
            return 2
    if chips[pins[0]] == chips[pins[1]]:
        print("both PINs unlocked the same context")
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, RuntimeError) as e:
        print("error: %s" % e)
        sys.exit(2)
