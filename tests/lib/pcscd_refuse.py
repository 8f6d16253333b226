#!/usr/bin/python3
"""pcscd_refuse.py SOCKET — listens where pcscd does and does what a polkit-enabled pcscd
does to a client polkit refuses (pcsc-lite's ContextThread: "Rejected unauthorized PC/SC
client"): accept the connection, then close it without reading. Debian 12's pcscd is built
without polkit, so tests of the refusal path use this stand-in."""
import os
import socket
import sys

path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o777)
srv.listen(16)
while True:
    conn, _ = srv.accept()
    conn.close()
    print("accepted and closed", flush=True)
