/* sanitizer_probe — proves that a sanitizer report stops the program in this build, so that it
 * fails the test it happens in. A child commits one undefined behaviour (UBSan: a signed
 * overflow; argument "asan": a heap overflow) with its report sent to /dev/null (the report is
 * expected here and must not read as a finding in the test log); the probe passes only when the
 * child did not get past it. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv);

static void commit_ub(int asan)
{
	volatile int big = INT_MAX;
	volatile size_t past = 4;
	int sum;
	char *p;

	if (asan) {
		if ((p = malloc(4)) == NULL)
			exit(3);
		p[past] = 1; /* one past the end */
		free(p);
	} else {
		sum = big + 1;
		printf("%d\n", sum);
	}
}

int main(int argc, char **argv)
{
	int asan = argc > 1 && strcmp(argv[1], "asan") == 0;
	int st = 0, fd;
	pid_t pid;

	if ((pid = fork()) < 0)
		return 2;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0)
			dup2(fd, 2);
		commit_ub(asan);
		_exit(0); /* reached only when the sanitizer let the program go on */
	}
	if (waitpid(pid, &st, 0) != pid)
		return 2;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		fprintf(stderr, "sanitizer_probe: the %s report did not stop the program\n",
		    asan ? "ASan" : "UBSan");
		return 1;
	}
	return 0;
}
