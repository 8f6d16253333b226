/* fuzz_opgp_info.c — every parser of card-supplied OpenPGP data objects (6E and its children,
 * 65, 7A, C4, C1..C3, F9, 7F66) over the same input. None may crash, read out of bounds or
 * accept a structure it then reports inconsistently. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openpgp.h"
#include "opgp_int.h"
#include "sk_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_info(const struct opgp_info *info)
{
	/* accepted data must leave NUL-terminated strings and sane sizes */
	if (memchr(info->name, 0, sizeof(info->name)) == NULL ||
	    memchr(info->lang, 0, sizeof(info->lang)) == NULL ||
	    info->aid_len > sizeof(info->aid) || info->hist_len > sizeof(info->hist))
		abort();
	for (int i = 0; i < OPGP_NKEYS; i++)
		if (info->algo[i].oid_len > sizeof(info->algo[i].oid))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opgp_info *info = calloc(1, sizeof(*info));
	struct opgp_pw_status pw;
	struct opgp_algo_attr a;
	struct opgp_kdf kdf;
	uint16_t mc, mr;
	uint32_t ctr;

	if (info == NULL)
		return 0;
	if (opgp_parse_app_data(data, size, info) == 0)
		check_info(info);
	memset(info, 0, sizeof(*info));
	if (opgp_parse_cardholder(data, size, info) == 0)
		check_info(info);
	(void)opgp_parse_sst(data, size, &ctr);
	(void)opgp_parse_pw_status(data, size, &pw);
	if (opgp_parse_algo_attr(data, size, &a) == 0 && a.oid_len > sizeof(a.oid))
		abort();
	if (opgp_parse_kdf(data, size, &kdf) == 0 && kdf.algo != OPGP_KDF_NONE &&
	    kdf.algo != OPGP_KDF_ITERSALTED_S2K)
		abort();
	(void)opgp_parse_ext_len(data, size, &mc, &mr);
	free(info);
	return 0;
}
