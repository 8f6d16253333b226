/* uhid.h — the CTAPHID device skinkey-hidbridge presents through /dev/uhid: the FIDO usage page
 * (0xF1D0, usage 0x01), 64-byte input and output reports without report ids, so that the kernel
 * makes a /dev/hidrawN that systemd's fido_id marks as a security token and browsers and libfido2
 * find as they find a USB key. */
#ifndef SK_HID_UHID_H
#define SK_HID_UHID_H

#include <stddef.h>
#include <stdint.h>

#define UHIDDEV_REPORT 64

struct uhiddev;

/* Opens path (NULL: /dev/uhid) and creates the device. 0, SK_ERR_DENIED (no access: see the
 * udev rule), SK_ERR_NOT_FOUND (no uhid in this kernel) or SK_ERR_IO. */
int uhiddev_open(struct uhiddev **out, const char *path);
/* Destroys the device and closes. */
void uhiddev_close(struct uhiddev **d);
int uhiddev_fd(const struct uhiddev *d);

/* Reads one event. 1 with an output report in rep/len (len ≤ 65: hidraw's report number may
 * come first), 0 for an event handled here (open, close, feature requests), SK_ERR_IO. */
int uhiddev_read(struct uhiddev *d, uint8_t *rep, size_t cap, size_t *len);
/* Sends one 64-byte input report to the host. 0 or SK_ERR_IO. */
int uhiddev_write(struct uhiddev *d, const uint8_t rep[UHIDDEV_REPORT]);
/* How many hidraw opens are outstanding (UHID_OPEN minus UHID_CLOSE). */
int uhiddev_openers(const struct uhiddev *d);

#endif
