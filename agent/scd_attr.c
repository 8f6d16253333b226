/* scd_attr.c — the status lines of LEARN and GETATTR, built from the cached application data,
 * in scdaemon 2.2's order and format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "scd.h"

static const char *manufacturer_name(unsigned id)
{
	static const struct { unsigned id; const char *name; } tab[] = {
		{ 0x0001, "PPC Card Systems" }, { 0x0002, "Prism" }, { 0x0003, "OpenFortress" },
		{ 0x0004, "Wewid" }, { 0x0005, "ZeitControl" }, { 0x0006, "Yubico" },
		{ 0x0007, "OpenKMS" }, { 0x0008, "LogoEmail" }, { 0x0009, "Fidesmo" },
		{ 0x000A, "VivoKey" }, { 0x000B, "Feitian Technologies" }, { 0x000D, "Dangerous Things" },
		{ 0x000E, "Excelsecu" }, { 0x000F, "Nitrokey" }, { 0x002A, "Magrathea" },
		{ 0x0042, "GnuPG e.V." }, { 0x1337, "Warsaw Hackerspace" }, { 0x2342, "warpzone" },
		{ 0x4354, "Confidential Technologies" }, { 0x5443, "TIF-IT e.V." },
		{ 0x63AF, "Trustica" }, { 0xBA53, "c-base e.V." }, { 0xBD0E, "Paranoidlabs" },
		{ 0xF517, "FSIJ" }, { 0xF5EC, "F-Secure" }, { 0xFF00, "test card" },
		{ 0xFFFE, "unmanaged S/N range" }, { 0xFFFF, "test card" },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].id == id)
			return tab[i].name;
	return "unknown";
}

/* Like scdaemon's send_status_info: %XX for control characters, '+', '"' and '%'; space -> '+'. */
static gpg_error_t status_bytes(assuan_context_t ctx, const char *kw, const void *p, size_t n)
{
	const unsigned char *s = p;
	char buf[1000];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < sizeof(buf); i++) {
		if (s[i] < 0x20 || s[i] == '+' || s[i] == '"' || s[i] == '%')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%%%02X", s[i]);
		else
			buf[o++] = s[i] == ' ' ? '+' : (char)s[i];
	}
	buf[o] = '\0';
	return assuan_write_status(ctx, kw, buf);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", p[i]);
}

static int zero20(const uint8_t *f)
{
	for (int i = 0; i < 20; i++)
		if (f[i])
			return 0;
	return 1;
}

static gpg_error_t send_fprs(assuan_context_t ctx, const char *kw, const uint8_t f[3][20])
{
	char h[41];
	gpg_error_t e = 0;

	for (int i = 0; i < 3 && e == 0; i++) {
		if (zero20(f[i]))
			continue;
		hex(f[i], 20, h);
		e = skd_status(ctx, kw, "%d %s", i + 1, h);
	}
	return e;
}

static gpg_error_t send_times(assuan_context_t ctx, const struct opgp_info *info)
{
	gpg_error_t e = 0;

	for (int i = 0; i < 3 && e == 0; i++)
		if (info->gen_time[i] != 0)
			e = skd_status(ctx, "KEY-TIME", "%d %u", i + 1, (unsigned)info->gen_time[i]);
	return e;
}

static const char *curve_status_name(const struct opgp_algo_attr *a)
{
	switch (a->curve) {
	case OPGP_CURVE_P256: return "NIST P-256";
	case OPGP_CURVE_P384: return "NIST P-384";
	case OPGP_CURVE_ED25519: return "Ed25519";
	case OPGP_CURVE_X25519: return "Curve25519";
	default: return "unknown";
	}
}

static gpg_error_t send_key_attr(assuan_context_t ctx, const struct opgp_info *info)
{
	gpg_error_t e = 0;

	for (int i = 0; i < 3 && e == 0; i++) {
		const struct opgp_algo_attr *a = &info->algo[i];
		if (a->id == OPGP_ALGO_ID_RSA)
			/* scdaemon's enum: 0 unknown, 1 std, 2 std+n, 3 crt, 4 crt+n */
			e = skd_status(ctx, "KEY-ATTR", "%d 1 rsa%u %u %u", i + 1, a->rsa_bits,
			    a->rsa_e_bits, a->import_format <= 3 ? a->import_format + 1u : 0u);
		else if (a->id != 0)
			e = skd_status(ctx, "KEY-ATTR", "%d %u %s", i + 1,
			    i == 1 ? 18u : a->curve == OPGP_CURVE_ED25519 ? 22u : 19u,
			    curve_status_name(a));
	}
	return e;
}

static gpg_error_t send_extcap(assuan_context_t ctx, const struct opgp_info *info)
{
	const struct opgp_ext_caps *x = &info->caps;
	unsigned sm = 0;

	if (x->flags & OPGP_CAP_SM)
		sm = x->sm_algo == 0 ? 2 : x->sm_algo == 1 ? 7 : 9;
	/* status indicator (last historical byte group) 5 = operational */
	return skd_status(ctx, "EXTCAP",
	    "gc=%d+ki=%d+fc=%d+pd=%d+mcl3=%u+aac=%d+sm=%u+si=%u+dec=%d+bt=%d+kdf=%d",
	    !!(x->flags & OPGP_CAP_CHALLENGE), !!(x->flags & OPGP_CAP_KEY_IMPORT),
	    !!(x->flags & OPGP_CAP_PW_STATUS), !!(x->flags & OPGP_CAP_PRIVATE_DO), x->max_cert,
	    !!(x->flags & OPGP_CAP_ALGO_CHG), sm, 5u, !!(x->flags & OPGP_CAP_AES),
	    info->version_major >= 3, !!(x->flags & OPGP_CAP_KDF));
}

static gpg_error_t send_chv(assuan_context_t ctx, const struct opgp_info *info)
{
	const struct opgp_pw_status *p = &info->pw;

	return skd_status(ctx, "CHV-STATUS", "+%u+%u+%u+%u+%u+%u+%u", p->pw1_multi, p->pw1_max,
	    p->rc_max, p->pw3_max, p->pw1_tries, p->rc_tries, p->pw3_tries);
}

static gpg_error_t send_kdf(assuan_context_t ctx, const char *chip)
{
	uint8_t *v = NULL;
	size_t n = 0;
	gpg_error_t e = 0;

	if (skd_cache_get(chip, "opgp.do.F9", &v, &n) == 0)
		e = status_bytes(ctx, "KDF", v, n);
	free(v);
	return e;
}

/* PRIVATE-DO-1/2 from the cache (read at each tap and after every SETATTR): in LEARN only when
 * they hold something, as scdaemon does. */
static gpg_error_t send_private_do(assuan_context_t ctx, const char *chip, const char *name,
    int learn)
{
	char key[24];
	uint8_t *v = NULL;
	size_t n = 0;
	gpg_error_t e = 0;

	snprintf(key, sizeof(key), "opgp.do.010%c", name[11]);
	if (skd_cache_get(chip, key, &v, &n) != 0)
		n = 0;
	if (n > 0 || !learn)
		e = status_bytes(ctx, name, (const char *)v, n);
	free(v);
	return e;
}

static gpg_error_t send_serialno(assuan_context_t ctx, const struct opgp_info *info)
{
	char sn[33];

	skd_pgp_serialno(info, sn);
	return skd_status(ctx, "SERIALNO", "%s", sn);
}

gpg_error_t scd_send_keypairinfo(assuan_context_t ctx, const char *chip,
    const struct opgp_info *info)
{
	char grip[41];
	gpg_error_t e = 0;

	for (int i = 0; i < 3 && e == 0; i++) {
		if (zero20(info->fpr[i]) || skd_pgp_cached_grip(chip, i, grip) != 0)
			continue;
		/* 2.2.40 adds the usage: gpg derives the key flags of a generated key from it */
		e = skd_status(ctx, "KEYPAIRINFO", "%s OPENPGP.%d %s", grip, i + 1,
		    i == 0 ? "sc" : i == 1 ? "e" : "sa");
	}
	return e;
}

static gpg_error_t one_attr(assuan_context_t ctx, const char *chip, const struct opgp_info *info,
    const char *name, int learn)
{
	char sex[2] = { (char)info->sex, 0 };

	if (strcmp(name, "SERIALNO") == 0)
		return send_serialno(ctx, info);
	if (strcmp(name, "APPTYPE") == 0)
		return assuan_write_status(ctx, "APPTYPE", "openpgp");
	if (strcmp(name, "EXTCAP") == 0)
		return send_extcap(ctx, info);
	if (strcmp(name, "MANUFACTURER") == 0)
		return skd_status(ctx, "MANUFACTURER", "%u %s", info->manufacturer,
		    manufacturer_name(info->manufacturer));
	if (strcmp(name, "DISP-NAME") == 0)
		return status_bytes(ctx, "DISP-NAME", info->name, strlen(info->name));
	if (strcmp(name, "DISP-LANG") == 0)
		return status_bytes(ctx, "DISP-LANG", info->lang, strlen(info->lang));
	if (strcmp(name, "DISP-SEX") == 0)
		return status_bytes(ctx, "DISP-SEX", sex, strlen(sex));
	if (strcmp(name, "PUBKEY-URL") == 0)
		return learn && !info->url[0] ? 0 : status_bytes(ctx, name, info->url, strlen(info->url));
	if (strcmp(name, "LOGIN-DATA") == 0)
		return learn && !info->login[0] ? 0 :
		    status_bytes(ctx, name, info->login, strlen(info->login));
	if (strcmp(name, "PRIVATE-DO-1") == 0 || strcmp(name, "PRIVATE-DO-2") == 0)
		return send_private_do(ctx, chip, name, learn);
	if (strcmp(name, "KEY-FPR") == 0)
		return send_fprs(ctx, "KEY-FPR", (const uint8_t(*)[20])info->fpr);
	if (strcmp(name, "KEY-TIME") == 0)
		return send_times(ctx, info);
	if (strcmp(name, "CA-FPR") == 0)
		return send_fprs(ctx, "CA-FPR", (const uint8_t(*)[20])info->ca_fpr);
	if (strcmp(name, "CHV-STATUS") == 0)
		return send_chv(ctx, info);
	if (strcmp(name, "SIG-COUNTER") == 0)
		return skd_status(ctx, "SIG-COUNTER", "%u", (unsigned)info->sig_counter);
	if (strcmp(name, "KDF") == 0)
		return send_kdf(ctx, chip);
	if (strcmp(name, "KEY-ATTR") == 0)
		return send_key_attr(ctx, info);
	if (strcmp(name, "AID") == 0) {
		char sn[33];
		skd_pgp_serialno(info, sn);
		return skd_status(ctx, "AID", "%s", sn);
	}
	if (strcmp(name, "APPVERSION") == 0)
		return skd_status(ctx, "APPVERSION", "%X", info->version_major << 8 |
		    info->version_minor);
	if (strcmp(name, "$AUTHKEYID") == 0)
		return assuan_write_status(ctx, name, "OPENPGP.3");
	if (strcmp(name, "$SIGNKEYID") == 0)
		return assuan_write_status(ctx, name, "OPENPGP.1");
	if (strcmp(name, "$ENCRKEYID") == 0)
		return assuan_write_status(ctx, name, "OPENPGP.2");
	if (strcmp(name, "$DISPSERIALNO") == 0)
		return skd_status(ctx, name, "%04X%08X", info->manufacturer, (unsigned)info->serial);
	if (strcmp(name, "KEYPAIRINFO") == 0)
		return scd_send_keypairinfo(ctx, chip, info);
	return gpg_error(GPG_ERR_INV_NAME);
}

gpg_error_t scd_send_attr(assuan_context_t ctx, const char *chip, const struct opgp_info *info,
    const char *name)
{
	static const char *const learn[] = {
		"EXTCAP", "MANUFACTURER", "DISP-NAME", "DISP-LANG", "DISP-SEX", "PUBKEY-URL",
		"LOGIN-DATA", "KEY-FPR", "KEY-TIME", "CA-FPR", "CHV-STATUS", "SIG-COUNTER",
		"PRIVATE-DO-1", "PRIVATE-DO-2", NULL
	};
	gpg_error_t e = 0;

	if (name != NULL)
		return one_attr(ctx, chip, info, name, 0);
	for (size_t i = 0; learn[i] != NULL && e == 0; i++)
		e = one_attr(ctx, chip, info, learn[i], 1);
	if (e == 0 && (info->caps.flags & OPGP_CAP_KDF))
		e = send_kdf(ctx, chip);
	if (e == 0)
		e = scd_send_keypairinfo(ctx, chip, info);
	return e;
}
