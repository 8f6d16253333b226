#!/usr/bin/python3
"""reader_state.py N|NAME : what pcscd's reader state says, without touching the card.

Prints "present" or "empty" (SCARD_STATE_PRESENT / SCARD_STATE_EMPTY from SCardGetStatusChange
with a zero timeout) and exits 0, or exits 4 when there is no such reader or no PC/SC. Unlike a
connect, this works while the card answers garbage (malformed mode) and never powers it up.
"""
import sys

from smartcard.System import readers
from smartcard.scard import (SCardEstablishContext, SCardGetStatusChange, SCardReleaseContext,
                             SCARD_SCOPE_USER, SCARD_STATE_UNAWARE, SCARD_STATE_PRESENT,
                             SCARD_S_SUCCESS)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        names = [str(r) for r in readers()]
    except Exception as e:  # pcscd gone
        print("reader_state.py: %s" % e, file=sys.stderr)
        return 4
    name = argv[1]
    if name.isdigit():
        if int(name) >= len(names):
            return 4
        name = names[int(name)]
    rc, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rc != SCARD_S_SUCCESS:
        return 4
    try:
        rc, states = SCardGetStatusChange(ctx, 0, [(name, SCARD_STATE_UNAWARE)])
        if rc != SCARD_S_SUCCESS or not states:
            return 4
        print("present" if states[0][1] & SCARD_STATE_PRESENT else "empty")
        return 0
    finally:
        SCardReleaseContext(ctx)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
