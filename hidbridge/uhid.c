/* uhid.c — /dev/uhid device with the FIDO report descriptor (see uhid.h). */
#include "uhid.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/uhid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sk_err.h"

/* The descriptor every FIDO USB key carries (CTAP 2.1 §11.2.8.1): usage page 0xF1D0, usage
 * CTAPHID, 64 bytes in (usage 0x20) and 64 bytes out (usage 0x21), no report ids. */
static const uint8_t fido_rdesc[] = {
	0x06, 0xd0, 0xf1,        /* Usage Page (FIDO Alliance) */
	0x09, 0x01,              /* Usage (CTAPHID) */
	0xa1, 0x01,              /* Collection (Application) */
	0x09, 0x20,              /*   Usage (Input Report Data) */
	0x15, 0x00,              /*   Logical Minimum (0) */
	0x26, 0xff, 0x00,        /*   Logical Maximum (255) */
	0x75, 0x08,              /*   Report Size (8) */
	0x95, 0x40,              /*   Report Count (64) */
	0x81, 0x02,              /*   Input (Data, Var, Abs) */
	0x09, 0x21,              /*   Usage (Output Report Data) */
	0x15, 0x00,              /*   Logical Minimum (0) */
	0x26, 0xff, 0x00,        /*   Logical Maximum (255) */
	0x75, 0x08,              /*   Report Size (8) */
	0x95, 0x40,              /*   Report Count (64) */
	0x91, 0x02,              /*   Output (Data, Var, Abs) */
	0xc0,                    /* End Collection */
};

struct uhiddev {
	int fd;
	int openers;
};

static int write_event(struct uhiddev *d, const struct uhid_event *ev)
{
	ssize_t n = write(d->fd, ev, sizeof(*ev));

	if (n != (ssize_t)sizeof(*ev)) {
		sk_error("hidbridge: uhid write: %s", n < 0 ? strerror(errno) : "short write");
		return SK_ERR_IO;
	}
	return 0;
}

int uhiddev_open(struct uhiddev **out, const char *path)
{
	struct uhiddev *d = NULL;
	struct uhid_event ev;
	int rc = SK_ERR_IO;

	*out = NULL;
	if (path == NULL)
		path = "/dev/uhid";
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return SK_ERR_NOMEM;
	if ((d->fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK)) < 0) {
		int e = errno;
		sk_error("hidbridge: %s: %s%s", path, strerror(e),
		    e == EACCES ? " (the udev rule 70-skinkey-uhid.rules gives it to the logged-in user)" : "");
		rc = e == EACCES || e == EPERM ? SK_ERR_DENIED : e == ENOENT || e == ENODEV ? SK_ERR_NOT_FOUND : SK_ERR_IO;
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = UHID_CREATE2;
	snprintf((char *)ev.u.create2.name, sizeof(ev.u.create2.name), "skinkey implant (FIDO)");
	snprintf((char *)ev.u.create2.phys, sizeof(ev.u.create2.phys), "skinkey-hidbridge");
	snprintf((char *)ev.u.create2.uniq, sizeof(ev.u.create2.uniq), "skinkey-%d", (int)getuid());
	ev.u.create2.rd_size = sizeof(fido_rdesc);
	ev.u.create2.bus = 0x03;          /* BUS_USB: what platforms expect of a security key */
	ev.u.create2.vendor = 0x1209;     /* pid.codes (open source hardware) */
	ev.u.create2.product = 0x5354;
	ev.u.create2.version = 0x0001;
	memcpy(ev.u.create2.rd_data, fido_rdesc, sizeof(fido_rdesc));
	if ((rc = write_event(d, &ev)) != 0)
		goto out;
	sk_info("hidbridge: CTAPHID device created through %s", path);
	*out = d;
	d = NULL;
	rc = 0;
out:
	if (d != NULL) {
		if (d->fd >= 0)
			close(d->fd);
		free(d);
	}
	return rc;
}

void uhiddev_close(struct uhiddev **pd)
{
	struct uhiddev *d;
	struct uhid_event ev;

	if (pd == NULL || (d = *pd) == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = UHID_DESTROY;
	(void)write_event(d, &ev);
	close(d->fd);
	free(d);
	*pd = NULL;
}

int uhiddev_fd(const struct uhiddev *d)
{
	return d != NULL ? d->fd : -1;
}

int uhiddev_openers(const struct uhiddev *d)
{
	return d != NULL ? d->openers : 0;
}

/* Feature reports do not exist on a FIDO device: refuse them so the kernel does not wait. */
static int refuse_report(struct uhiddev *d, const struct uhid_event *in)
{
	struct uhid_event ev;

	memset(&ev, 0, sizeof(ev));
	if (in->type == UHID_GET_REPORT) {
		ev.type = UHID_GET_REPORT_REPLY;
		ev.u.get_report_reply.id = in->u.get_report.id;
		ev.u.get_report_reply.err = EIO;
	} else {
		ev.type = UHID_SET_REPORT_REPLY;
		ev.u.set_report_reply.id = in->u.set_report.id;
		ev.u.set_report_reply.err = EIO;
	}
	return write_event(d, &ev);
}

int uhiddev_read(struct uhiddev *d, uint8_t *rep, size_t cap, size_t *len)
{
	struct uhid_event ev;
	ssize_t n;

	*len = 0;
	n = read(d->fd, &ev, sizeof(ev));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < (ssize_t)sizeof(ev.type)) {
		sk_error("hidbridge: uhid read: %s", n < 0 ? strerror(errno) : "short event");
		return SK_ERR_IO;
	}
	switch (ev.type) {
	case UHID_OUTPUT:
		if (ev.u.output.size > cap || ev.u.output.size > UHID_DATA_MAX) {
			sk_warn("hidbridge: output report of %u bytes ignored", ev.u.output.size);
			return 0;
		}
		memcpy(rep, ev.u.output.data, ev.u.output.size);
		*len = ev.u.output.size;
		return 1;
	case UHID_OPEN:
		d->openers++;
		sk_debug("hidbridge: hidraw opened (%d)", d->openers);
		return 0;
	case UHID_CLOSE:
		if (d->openers > 0)
			d->openers--;
		sk_debug("hidbridge: hidraw closed (%d)", d->openers);
		return 0;
	case UHID_GET_REPORT:
	case UHID_SET_REPORT:
		return refuse_report(d, &ev);
	case UHID_START:
		sk_debug("hidbridge: device started");
		return 0;
	case UHID_STOP:
		sk_debug("hidbridge: device stopped");
		return 0;
	default:
		sk_debug("hidbridge: uhid event %u ignored", ev.type);
		return 0;
	}
}

int uhiddev_write(struct uhiddev *d, const uint8_t rep[UHIDDEV_REPORT])
{
	struct uhid_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = UHID_INPUT2;
	ev.u.input2.size = UHIDDEV_REPORT;
	memcpy(ev.u.input2.data, rep, UHIDDEV_REPORT);
	return write_event(d, &ev);
}
