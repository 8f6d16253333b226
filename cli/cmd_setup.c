/* cmd_setup.c — `skinkey setup gpg|ssh|git|firefox|chromium|all [--dry-run] | --undo`: writes
 * the configuration each door needs, idempotently, with backups (setup_files.c). */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "common/sk_err.h"
#include "setup.h"
#include "sk_config.h"

#ifndef SK_P11_MODULE
#error "SK_P11_MODULE (the installed module path) comes from cli/meson.build"
#endif
#define NSS_NAME "skinkey"

static int home_path(char *buf, size_t n, const char *rel)
{
	const char *h = getenv("HOME");
	int k;

	if (h == NULL || h[0] != '/') {
		fprintf(stderr, "skinkey setup: HOME is not set\n");
		return SK_ERR_CONFIG;
	}
	k = snprintf(buf, n, "%s/%s", h, rel);
	return k < 0 || (size_t)k >= n ? SK_ERR_TOOBIG : 0;
}

static int xdg_path(char *buf, size_t n, const char *var, const char *fallback, const char *rel)
{
	const char *d = getenv(var);
	int k;

	if (d == NULL || d[0] != '/') {
		char b[PATH_MAX];
		int r = home_path(b, sizeof(b), fallback);
		if (r != 0)
			return r;
		k = snprintf(buf, n, "%s/%s", b, rel);
	} else
		k = snprintf(buf, n, "%s/%s", d, rel);
	return k < 0 || (size_t)k >= n ? SK_ERR_TOOBIG : 0;
}

/* A managed block in a text file. */
static int edit_text(struct setup_ctx *s, const char *path, const char *block,
    const char *const *keys)
{
	char *old = NULL, *nw = NULL, *tmp = NULL;
	size_t n;
	int ex, r;

	if ((r = setup_read(path, &old, &n, &ex)) != 0)
		goto out;
	if ((nw = setup_edit_block(old, block, keys)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if ((r = setup_tmp_write(nw, strlen(nw), &tmp)) == 0)
		r = setup_commit(s, path, tmp);
out:
	free(old);
	free(nw);
	free(tmp);
	return r;
}

static int door_gpg(struct setup_ctx *s)
{
	static const char *const keys[] = { "scdaemon-program", NULL };
	char path[PATH_MAX], block[PATH_MAX + 64];
	const char *g = getenv("GNUPGHOME");
	int r;

	if (g != NULL && g[0] == '/')
		snprintf(path, sizeof(path), "%s/gpg-agent.conf", g);
	else if ((r = home_path(path, sizeof(path), ".gnupg/gpg-agent.conf")) != 0)
		return r;
	snprintf(block, sizeof(block), "scdaemon-program %s/skinkey-scd\n", SK_LIBEXECDIR);
	if ((r = edit_text(s, path, block, keys)) == 0 && !s->dry_run)
		printf("gpg: run `gpgconf --kill gpg-agent` so the next gpg uses skinkey-scd\n");
	return r;
}

static int door_ssh(struct setup_ctx *s)
{
	static const char *const envkeys[] = { "SSH_AUTH_SOCK", NULL };
	static const char *const rckeys[] = { NULL };
	char path[PATH_MAX], unit[PATH_MAX], link[PATH_MAX];
	int r;

	/* systemd's environment.d: the desktop session and every user service */
	if ((r = xdg_path(path, sizeof(path), "XDG_CONFIG_HOME", ".config",
	    "environment.d/50-skinkey.conf")) != 0 ||
	    (r = edit_text(s, path, "SSH_AUTH_SOCK=${XDG_RUNTIME_DIR}/skinkey/S.ssh\n", envkeys)) != 0)
		return r;
	/* login shells and terminals that did not come from the session */
	if ((r = home_path(path, sizeof(path), ".bashrc")) != 0 ||
	    (r = edit_text(s, path,
	    "if [ -n \"${XDG_RUNTIME_DIR:-}\" ]; then export SSH_AUTH_SOCK=\"$XDG_RUNTIME_DIR/skinkey/S.ssh\";\n"
	    "else export SSH_AUTH_SOCK=\"/tmp/skinkey-$(id -u)/S.ssh\"; fi\n", rckeys)) != 0)
		return r;
	/* skinkeyd must be running before ssh asks: its user unit, enabled for this user */
	snprintf(unit, sizeof(unit), "%s/../lib/systemd/user/skinkeyd.service", SK_BINDIR);
	if (realpath(unit, path) == NULL) {
		printf("ssh: no skinkeyd user unit installed: start skinkeyd at login (skinkeyd --daemon)\n");
		return 0;
	}
	if ((r = xdg_path(link, sizeof(link), "XDG_CONFIG_HOME", ".config",
	    "systemd/user/default.target.wants/skinkeyd.service")) != 0)
		return r;
	return setup_symlink(s, link, path);
}

/* The OpenPGP signature key's fingerprint of the first chip skinkeyd knows. */
static int sig_fpr(char *out, size_t n)
{
	assuan_context_t ctx = NULL;
	struct cli_lines chips = { NULL, 0 }, st = { NULL, 0 };
	char id[64], cmd[96];
	int r = CLI_ERR;

	out[0] = '\0';
	if ((r = cli_connect(&ctx)) != 0)
		goto out;
	if ((r = cli_transact(ctx, "CHIPS", &chips)) != 0)
		goto out;
	r = CLI_ERR;
	for (size_t i = 0; i < chips.n && out[0] == '\0'; i++) {
		if (sscanf(chips.v[i], "CHIP %63s", id) != 1 || strstr(chips.v[i], "openpgp") == NULL)
			continue;
		snprintf(cmd, sizeof(cmd), "CHIPSTATUS %s", id);
		cli_lines_free(&st);
		if (cli_transact(ctx, cmd, &st) != 0)
			continue;
		for (size_t k = 0; k < st.n; k++) {
			char fpr[64];
			if (sscanf(st.v[k], "KEY-FPR 1 %63s", fpr) == 1 && strlen(fpr) == 40 &&
			    strspn(fpr, "0") != 40) {
				snprintf(out, n, "%s", fpr);
				r = 0;
				break;
			}
		}
	}
	if (r != 0)
		fprintf(stderr, "skinkey setup git: no chip with an OpenPGP signature key is known: tap "
		    "the implant, or generate keys with `gpg --card-edit` (admin, generate)\n");
out:
	cli_lines_free(&chips);
	cli_lines_free(&st);
	if (ctx != NULL)
		assuan_release(ctx);
	return r;
}

static int door_git(struct setup_ctx *s)
{
	static const char *const kv[][2] = { { "gpg.format", "openpgp" },
		{ "commit.gpgsign", "true" }, { "tag.gpgsign", "true" }, { "user.signingkey", NULL } };
	char path[PATH_MAX], xdg[PATH_MAX], fpr[64], *tmp = NULL, *env = NULL;
	int r;

	/* git --global writes ~/.gitconfig unless only the XDG file exists */
	if ((r = home_path(path, sizeof(path), ".gitconfig")) != 0 ||
	    (r = xdg_path(xdg, sizeof(xdg), "XDG_CONFIG_HOME", ".config", "git/config")) != 0)
		return r;
	if (access(path, F_OK) != 0 && access(xdg, F_OK) == 0)
		snprintf(path, sizeof(path), "%s", xdg);
	if ((r = sig_fpr(fpr, sizeof(fpr))) != 0)
		return r;
	if ((r = setup_tmp_copy(path, &tmp)) != 0)
		goto out;
	if (asprintf(&env, "GIT_CONFIG_GLOBAL=%s", tmp) < 0) {
		env = NULL;
		r = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		char *argv[] = { "git", "config", "--global", (char *)kv[i][0],
			(char *)(kv[i][1] ? kv[i][1] : fpr), NULL };
		if ((r = setup_run(argv, env)) != 0) {
			unlink(tmp);
			goto out;
		}
	}
	r = setup_commit(s, path, tmp);
out:
	free(tmp);
	free(env);
	return r;
}

/* modutil wrote the copy's directory into pkcs11.txt (configdir=): name the real one. */
static int nss_fix_configdir(const char *txt, const char *work, const char *dir)
{
	char *b = NULL, *o = NULL, *tmp = NULL;
	size_t n, wl = strlen(work), dl = strlen(dir), k = 0;
	int ex, r;

	if ((r = setup_read(txt, &b, &n, &ex)) != 0)
		goto out;
	if ((o = malloc(n / (wl ? wl : 1) * dl + n + 1)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	for (const char *p = b; *p != '\0';) {
		if (strncmp(p, work, wl) == 0) {
			memcpy(o + k, dir, dl);
			k += dl;
			p += wl;
		} else
			o[k++] = *p++;
	}
	if ((r = setup_tmp_write(o, k, &tmp)) == 0 && rename(tmp, txt) != 0) {
		unlink(tmp);
		r = SK_ERR_IO;
	}
out:
	free(b);
	free(o);
	free(tmp);
	return r;
}

/* One NSS database (sql: cert9.db, key4.db, pkcs11.txt): the module added with modutil on a
 * copy, then each changed file committed with its backup. */
static int nss_add(struct setup_ctx *s, const char *dir, int create)
{
	static const char *const files[] = { "pkcs11.txt", "cert9.db", "key4.db" };
	char work[PATH_MAX], db[PATH_MAX + 8], src[PATH_MAX], dst[PATH_MAX];
	const char *td = getenv("TMPDIR");
	int r = 0;

	snprintf(work, sizeof(work), "%s/skinkey-nss.XXXXXX", td && td[0] == '/' ? td : "/tmp");
	if (mkdtemp(work) == NULL) {
		fprintf(stderr, "skinkey setup: temporary directory failed\n");
		return SK_ERR_IO;
	}
	for (size_t i = 0; i < 3 && r == 0; i++) {
		if (snprintf(src, sizeof(src), "%s/%s", dir, files[i]) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", work, files[i]) >= (int)sizeof(dst)) {
			r = SK_ERR_TOOBIG;
			break;
		}
		if (access(src, F_OK) == 0) {
			char *t = NULL;
			if ((r = setup_tmp_copy(src, &t)) == 0 && rename(t, dst) != 0)
				r = SK_ERR_IO;
			if (t != NULL && r != 0)
				unlink(t);
			free(t);
		}
	}
	snprintf(db, sizeof(db), "sql:%s", work);
	if (r == 0 && create) {
		char *argv[] = { "modutil", "-create", "-force", "-dbdir", db, NULL };
		r = setup_run(argv, NULL);
	}
	if (r == 0) {
		char *argv[] = { "modutil", "-add", NSS_NAME, "-libfile", SK_P11_MODULE, "-force",
			"-dbdir", db, NULL };
		char *b = NULL;
		size_t n;
		int ex;
		if (snprintf(src, sizeof(src), "%s/pkcs11.txt", work) >= (int)sizeof(src))
			r = SK_ERR_TOOBIG;
		else if ((r = setup_read(src, &b, &n, &ex)) == 0 &&
		    strstr(b, "library=" SK_P11_MODULE) == NULL && (r = setup_run(argv, NULL)) == 0)
			r = nss_fix_configdir(src, work, dir);
		free(b);
	}
	for (size_t i = 0; i < 3; i++) {
		if (snprintf(src, sizeof(src), "%s/%s", work, files[i]) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", dir, files[i]) >= (int)sizeof(dst))
			continue;
		if (r == 0 && access(src, F_OK) == 0)
			r = setup_commit(s, dst, src);
		unlink(src);
	}
	rmdir(work);
	return r;
}

static int door_firefox(struct setup_ctx *s)
{
	char base[PATH_MAX], p[PATH_MAX * 2];
	DIR *d;
	struct dirent *e;
	int r, found = 0;

	if ((r = home_path(base, sizeof(base), ".mozilla/firefox")) != 0)
		return r;
	if ((d = opendir(base)) != NULL) {
		while (r == 0 && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s/cert9.db", base, e->d_name);
			if (access(p, F_OK) != 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", base, e->d_name);
			found++;
			r = nss_add(s, p, 0);
		}
		closedir(d);
	}
	if (r == 0 && !found)
		printf("firefox: no profile with a certificate database in %s yet: start Firefox once, "
		    "then run `skinkey setup firefox`\n", base);
	return r;
}

static int door_chromium(struct setup_ctx *s)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];

	if (home_path(dir, sizeof(dir), ".pki/nssdb") != 0)
		return SK_ERR_CONFIG;
	snprintf(p, sizeof(p), "%s/cert9.db", dir);
	return nss_add(s, dir, access(p, F_OK) != 0);
}

static const struct door {
	const char *name;
	int (*run)(struct setup_ctx *s);
} doors[] = {
	{ "gpg", door_gpg }, { "ssh", door_ssh }, { "git", door_git },
	{ "firefox", door_firefox }, { "chromium", door_chromium },
};
#define NDOORS (sizeof(doors) / sizeof(doors[0]))

static int setup_usage(void)
{
	fprintf(stderr, "usage: skinkey setup [--dry-run] gpg|ssh|git|firefox|chromium|all...\n"
	    "       skinkey setup --undo\n");
	return CLI_USAGE;
}

static int run_setup(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dry-run", no_argument, NULL, 'n' }, { "undo", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct setup_ctx s;
	int ch, dry = 0, undo = 0, want[NDOORS] = { 0 }, failed = 0;

	(void)o;
	while ((ch = getopt_long(argc, argv, "n", lo, NULL)) != -1) {
		if (ch == 'n')
			dry = 1;
		else if (ch == 'u')
			undo = 1;
		else
			return setup_usage();
	}
	if (undo ? optind != argc || dry : optind >= argc)
		return setup_usage();
	for (int i = optind; i < argc; i++) {
		size_t k;
		for (k = 0; k < NDOORS; k++)
			if (strcmp(argv[i], "all") == 0 || strcmp(argv[i], doors[k].name) == 0)
				want[k] = 1;
		if (strcmp(argv[i], "all") != 0) {
			for (k = 0; k < NDOORS && strcmp(argv[i], doors[k].name) != 0; k++)
				;
			if (k == NDOORS) {
				fprintf(stderr, "skinkey setup: unknown door '%s'\n", argv[i]);
				return setup_usage();
			}
		}
	}
	if (setup_ctx_init(&s, dry) != 0)
		return CLI_ERR;
	umask(077);
	if (undo)
		return setup_undo(&s) == 0 ? CLI_OK : CLI_ERR;
	for (size_t k = 0; k < NDOORS; k++) {
		if (!want[k])
			continue;
		printf("== %s\n", doors[k].name);
		fflush(stdout);
		if (doors[k].run(&s) != 0) {
			fprintf(stderr, "skinkey setup: %s: not set up\n", doors[k].name);
			failed = 1;
		}
		fflush(stdout);
	}
	if (dry)
		printf("dry run: %d file(s) would change, nothing was written\n", s.changed);
	return failed ? CLI_ERR : CLI_OK;
}

const struct cli_cmd cli_cmd_setup = { "setup", run_setup,
	"setup [--dry-run] gpg|ssh|git|firefox|chromium|all | --undo   configure each door" };
