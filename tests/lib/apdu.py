#!/usr/bin/python3
"""apdu.py [--reader N|NAME] [--t1] HEX... : send raw APDUs over one PC/SC connection.

Prints one line per APDU: response data hex (may be empty) and the SW, e.g. "0304000000 9000".
No GET RESPONSE or chaining is done for you: it is a raw transmit, so tests can see 61xx.
Exit 0 when all APDUs were transmitted, 3 when a transmit failed or the answer had no SW
(card gone: the line is "ERROR ..." or "NORESPONSE ..."), 2 on usage errors,
4 when the reader has no card / connect failed. Needs Debian's python3-pyscard (/usr/bin/python3).
"""
import sys

from smartcard.System import readers
from smartcard.scard import (SCardEstablishContext, SCardConnect, SCardTransmit, SCardDisconnect,
                             SCardReleaseContext, SCARD_SCOPE_USER, SCARD_SHARE_SHARED,
                             SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_PCI_T0, SCARD_PCI_T1,
                             SCARD_LEAVE_CARD, SCARD_S_SUCCESS, SCardGetErrorMessage)


def main(argv):
    reader = "0"
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--reader":
        reader = args[1]
        args = args[2:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    names = [str(r) for r in readers()]
    if reader.isdigit():
        idx = int(reader)
        if idx >= len(names):
            print("apdu.py: no reader %s (have %s)" % (reader, names), file=sys.stderr)
            return 4
        name = names[idx]
    else:
        name = reader
    rc, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rc != SCARD_S_SUCCESS:
        print("apdu.py: no PC/SC: %s" % SCardGetErrorMessage(rc), file=sys.stderr)
        return 4
    rc, card, proto = SCardConnect(ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    if rc != SCARD_S_SUCCESS:
        print("apdu.py: connect %s: %s" % (name, SCardGetErrorMessage(rc)), file=sys.stderr)
        SCardReleaseContext(ctx)
        return 4
    pci = SCARD_PCI_T1 if proto == SCARD_PROTOCOL_T1 else SCARD_PCI_T0
    status = 0
    for h in args:
        try:
            cmd = list(bytes.fromhex(h))
        except ValueError:
            print("apdu.py: bad hex %r" % h, file=sys.stderr)
            status = 2
            break
        rc, resp = SCardTransmit(card, pci, cmd)
        if rc != SCARD_S_SUCCESS:
            print("ERROR %s" % SCardGetErrorMessage(rc).strip())
            status = 3
            break
        if len(resp) < 2:
            # vpcd hands an empty answer up when the chip left the field mid-command
            print("NORESPONSE %d bytes" % len(resp))
            status = 3
            break
        data, sw = bytes(resp[:-2]), bytes(resp[-2:])
        print(("%s %s" % (data.hex(), sw.hex())).strip().upper())
    SCardDisconnect(card, SCARD_LEAVE_CARD)
    SCardReleaseContext(ctx)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
