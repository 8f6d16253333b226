/* fuzz_journal.c — libFuzzer harness for the file journal's record parser: the input is the
 * journal file's content; a record that loads must store and load back unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desfire.h"
#include "sk_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_desfire_journal_XXXXXX";
	struct desfire_file_journal *fj = NULL;
	struct desfire_journal j;
	struct desfire_prov_record a, b;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (desfire_file_journal_new(path, &fj, &j) == 0 && j.load(j.ctx, &a) == 0) {
		if (j.store(j.ctx, &a) != 0 || j.load(j.ctx, &b) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
			abort();   /* a record that parses must round-trip */
	}
	desfire_file_journal_free(&fj);
	unlink(path);
	return 0;
}
