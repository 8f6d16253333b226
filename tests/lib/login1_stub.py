#!/usr/bin/python3
"""login1_stub.py LOG — a stand-in for systemd-logind on a private system bus
(org.freedesktop.login1): /org/freedesktop/login1/session/auto answers Session.Lock and logs
"LOCK <unix time in s, 6 decimals>" per call; "READY" once it owns the name."""
import sys
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.login1.Session"


class Session(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, "/org/freedesktop/login1/session/auto")
        self.log = log

    def write(self, line):
        with open(self.log, "a") as f:
            f.write(line + "\n")

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Lock(self):
        self.write("LOCK %.6f" % time.time())

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Unlock(self):
        self.write("UNLOCK %.6f" % time.time())


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    name = dbus.service.BusName("org.freedesktop.login1", bus)  # noqa: F841
    stub = Session(bus, sys.argv[1])
    stub.write("READY")
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
