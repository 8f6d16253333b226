#!/usr/bin/python3
"""notify_stub.py LOG — a stand-in for a desktop's notification service on the session bus
(org.freedesktop.Notifications). Logs one line per call: "NOTIFY <id> <summary>|<body>" and
"CLOSE <id>"; "READY" once it owns the name. Debian's python3-dbus with the GLib main loop."""
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"


class Stub(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.log = log
        self.next_id = 0

    def write(self, line):
        with open(self.log, "a") as f:
            f.write(line + "\n")

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        self.next_id += 1
        self.write("NOTIFY %d %s|%s|app=%s|urgency=%s" % (self.next_id, summary, body, app,
                                                          int(hints.get("urgency", -1))))
        return dbus.UInt32(self.next_id)

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        self.write("CLOSE %d" % nid)

    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["body"]

    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("notify-stub", "skinkey-tests", "1", "1.2")


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(IFACE, bus)  # noqa: F841 (kept while the loop runs)
    stub = Stub(bus, sys.argv[1])
    stub.write("READY")
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
