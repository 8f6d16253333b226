/* Replays a libFuzzer harness over files or directories of inputs, so every harness also runs as a
 * plain program under `meson test --suite fuzz` (and under ASan+UBSan). With -Dfuzzing=true the
 * harnesses link against libFuzzer instead of this file. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int main(int argc, char **argv);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	int r = -1;

	if (f == NULL)
		goto out;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1L << 20))
		goto out;
	rewind(f);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "replay: cannot read %s\n", path);
	free(buf);
	if (f != NULL)
		fclose(f);
	return r;
}

static int replay_path(const char *path, unsigned *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[4096];
	int r = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: not found\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (replay_path(sub, count) != 0)
			r = -1;
	}
	closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int r = 0;
	uint8_t seed[256] = { 0 };

	/* The empty input and a few fixed patterns always run, corpus or not. Like libFuzzer, the
	 * empty input comes with a valid pointer (a harness may hand it to memcpy). */
	LLVMFuzzerTestOneInput(seed, 0);
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 37u + 11u);
	for (size_t n = 1; n <= sizeof(seed); n *= 2)
		LLVMFuzzerTestOneInput(seed, n);
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			r = 1;
	printf("replayed %u inputs\n", count);
	return r;
}
