/* fuzz_otp_status.c — the ykhmac status parser (SELECT / programming answers). */
#include <stdint.h>
#include <stdlib.h>

#include "otp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otp_status st;

	if (otp_parse_status(data, size, &st) == 0 && size != 6 && size != 10)
		abort();
	(void)otp_crc16(data, size);
	return 0;
}
