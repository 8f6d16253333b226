#!/usr/bin/python3
"""login1_stub.py LOG — a stand-in for systemd-logind on a private system bus
(org.freedesktop.login1). One session, Id "c1", at /org/freedesktop/login1/session/c1 and under
the alias /org/freedesktop/login1/session/auto:
- Session.Lock / Unlock log "LOCK|UNLOCK <unix time in s, 6 decimals>" per call;
- Session.SetIdleHint(b) sets IdleHint, logs "IDLE true|false <time>" and emits
  org.freedesktop.DBus.Properties.PropertiesChanged from the session's own path, as logind does;
- org.freedesktop.DBus.Properties Get/GetAll answer Id, IdleHint, Active.
"READY" once it owns the name."""
import sys
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.login1.Session"
PROPS = "org.freedesktop.DBus.Properties"
BASE = "/org/freedesktop/login1/session/"


class Session(dbus.service.Object):
    def __init__(self, bus, path, shared):
        super().__init__(bus, path)
        self.shared = shared

    def write(self, line):
        with open(self.shared["log"], "a") as f:
            f.write(line + "\n")

    def props(self):
        return {"Id": dbus.String("c1"), "IdleHint": dbus.Boolean(self.shared["idle"]),
                "Active": dbus.Boolean(True)}

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Lock(self):
        self.write("LOCK %.6f" % time.time())

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Unlock(self):
        self.write("UNLOCK %.6f" % time.time())

    @dbus.service.method(IFACE, in_signature="b", out_signature="")
    def SetIdleHint(self, idle):
        self.shared["idle"] = bool(idle)
        self.write("IDLE %s %.6f" % ("true" if idle else "false", time.time()))
        self.shared["own"].PropertiesChanged(IFACE, {"IdleHint": dbus.Boolean(bool(idle))},
                                             dbus.Array([], signature="s"))

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, name):
        if iface != IFACE or name not in self.props():
            raise dbus.exceptions.DBusException("no such property",
                                                name="org.freedesktop.DBus.Error.UnknownProperty")
        return self.props()[name]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return self.props() if iface == IFACE else {}

    @dbus.service.signal(PROPS, signature="sa{sv}as")
    def PropertiesChanged(self, iface, changed, invalidated):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    name = dbus.service.BusName("org.freedesktop.login1", bus)  # noqa: F841
    shared = {"log": sys.argv[1], "idle": False}
    shared["own"] = Session(bus, BASE + "c1", shared)
    auto = Session(bus, BASE + "auto", shared)  # noqa: F841
    shared["own"].write("READY")
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
