#!/usr/bin/python3
"""ff_p11state.py MODULE TOKEN_LABEL — a long-lived PKCS#11 client, like a running Firefox.

Loads MODULE (ctypes, no PKCS#11 library needed), opens one read-only session on the token
whose label is TOKEN_LABEL and keeps it. For every line read on stdin it prints the state
C_GetSessionInfo reports for that same session: "state=N" (0 RO public, 1 RO user functions,
2 RW public, 3 RW user, 4 RW SO) or "rv=0xNNN" when the call fails. Exits at end of input.
"""
import ctypes
import sys

CK_ULONG = ctypes.c_ulong
CKF_SERIAL_SESSION = 0x4
# indices in CK_FUNCTION_LIST after the CK_VERSION (PKCS#11 2.40 order)
F_INITIALIZE, F_FINALIZE, F_GET_SLOT_LIST, F_GET_TOKEN_INFO = 0, 1, 4, 6
F_OPEN_SESSION, F_GET_SESSION_INFO = 12, 15
N_FUNCS = 68


class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]


class FunctionList(ctypes.Structure):
    _fields_ = [("version", Version), ("f", ctypes.c_void_p * N_FUNCS)]


class SessionInfo(ctypes.Structure):
    _fields_ = [("slot", CK_ULONG), ("state", CK_ULONG), ("flags", CK_ULONG),
                ("device_error", CK_ULONG)]


def fn(fl, idx, *argtypes):
    return ctypes.CFUNCTYPE(CK_ULONG, *argtypes)(fl.f[idx])


def check(rv, what):
    if rv != 0:
        print("ff_p11state: %s failed: rv=0x%x" % (what, rv), file=sys.stderr)
        sys.exit(1)


def find_slot(fl, label):
    get_slots = fn(fl, F_GET_SLOT_LIST, ctypes.c_ubyte, ctypes.POINTER(CK_ULONG),
                   ctypes.POINTER(CK_ULONG))
    n = CK_ULONG(0)
    check(get_slots(1, None, ctypes.byref(n)), "C_GetSlotList (count)")
    slots = (CK_ULONG * max(n.value, 1))()
    check(get_slots(1, slots, ctypes.byref(n)), "C_GetSlotList")
    get_token = fn(fl, F_GET_TOKEN_INFO, CK_ULONG, ctypes.c_void_p)
    for i in range(n.value):
        info = ctypes.create_string_buffer(1024)   # CK_TOKEN_INFO is smaller; label first
        if get_token(slots[i], info) != 0:
            continue
        if info.raw[:32].decode("utf-8", "replace").rstrip(" ") == label:
            return slots[i]
    print("ff_p11state: no token labelled %r" % label, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        print("usage: ff_p11state.py MODULE TOKEN_LABEL", file=sys.stderr)
        sys.exit(2)
    lib = ctypes.CDLL(sys.argv[1])
    flp = ctypes.POINTER(FunctionList)()
    check(lib.C_GetFunctionList(ctypes.byref(flp)), "C_GetFunctionList")
    fl = flp.contents
    check(fn(fl, F_INITIALIZE, ctypes.c_void_p)(None), "C_Initialize")
    slot = find_slot(fl, sys.argv[2])
    sess = CK_ULONG(0)
    open_session = fn(fl, F_OPEN_SESSION, CK_ULONG, CK_ULONG, ctypes.c_void_p, ctypes.c_void_p,
                      ctypes.POINTER(CK_ULONG))
    check(open_session(slot, CKF_SERIAL_SESSION, None, None, ctypes.byref(sess)), "C_OpenSession")
    get_info = fn(fl, F_GET_SESSION_INFO, CK_ULONG, ctypes.POINTER(SessionInfo))
    print("ready", flush=True)
    for _ in sys.stdin:
        si = SessionInfo()
        rv = get_info(sess, ctypes.byref(si))
        print("state=%d" % si.state if rv == 0 else "rv=0x%x" % rv, flush=True)
    fn(fl, F_FINALIZE, ctypes.c_void_p)(None)


if __name__ == "__main__":
    main()
