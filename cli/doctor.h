/* doctor.h — `skinkey doctor`: each check reports ok, a problem with its fix, or a note.
 * Private to cli/ (cmd_doctor.c: the doors; doctor_pcsc.c: pcscd, polkit, readers). */
#ifndef SK_CLI_DOCTOR_H
#define SK_CLI_DOCTOR_H

struct doctor {
	int problems;
};

void doc_ok(struct doctor *d, const char *door, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void doc_note(struct doctor *d, const char *door, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A problem: what is wrong, then the fix (may span lines). */
void doc_fail(struct doctor *d, const char *door, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Processes of this user (all, for root) that have a PC/SC client library or OpenSC loaded,
 * other than skinkeyd and us: "name (pid N)" list, comma-separated, into buf. Sets *gnupg
 * when one is GnuPG's scdaemon and *opensc when one has OpenSC's module loaded. */
void doctor_pcsc_users(char *buf, size_t n, int *gnupg, int *opensc);
/* Same uid process whose comm is name: its pid, or 0. */
int doctor_find_process(const char *name);

/* pcscd, its socket activation, polkit, readers, exclusive holders. Returns 1 when PC/SC
 * works far enough for skinkeyd to be asked about chips. */
int doctor_pcsc(struct doctor *d);

/* One phrase for `skinkey status` when skinkeyd lists no reader: "pcscd is not running",
 * "pcscd refuses this user (polkit)" or "pcscd sees no reader". */
const char *doctor_no_reader_reason(void);

#endif
