/* digestinfo.h — DER prefixes of PKCS#1 DigestInfo ::= SEQUENCE { AlgorithmIdentifier,
 * OCTET STRING } (RFC 8017 section 9.2 note 1): the prefix, then the hash bytes. One table for
 * skinkeyd's scdaemon commands, its ssh-agent and the PKCS#11 module. */
#ifndef SK_DIGESTINFO_H
#define SK_DIGESTINFO_H

#include <stddef.h>
#include <stdint.h>

struct sk_digestinfo {
	const char *name;        /* "sha256" (lookups ignore case) */
	size_t hlen;             /* hash length */
	const uint8_t *prefix;
	size_t plen;
};

const struct sk_digestinfo *sk_digestinfo_by_name(const char *name);
/* The first digest of that length (sha1 before rmd160 for 20 bytes). */
const struct sk_digestinfo *sk_digestinfo_by_len(size_t hlen);
/* p is exactly a DigestInfo (prefix || hash of the right length)? */
const struct sk_digestinfo *sk_digestinfo_match(const uint8_t *p, size_t n);

#endif
