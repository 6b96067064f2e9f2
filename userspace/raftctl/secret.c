// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: shared secrets (peer authentication) read from a key file or
 * stdin, never from the command line; fingerprints for status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "raftctl.h"

int secret_read(const char *ctx, const char *path, struct secret *s)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	struct stat st;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (!f) {
		fprintf(stderr, "%s: %s: cannot read the secret file %s: %s\n",
			prog, ctx, path, strerror(errno));
		return EXIT_ERROR;
	}
	if (!is_stdin && !fstat(fileno(f), &st) && (st.st_mode & 0077))
		fprintf(stderr, "%s: warning: the secret file %s can be read by other users (chmod 600 it)\n",
			prog, path);
	/* One byte more than allowed tells a file that is too long. */
	n = fread(s->key, 1, sizeof(s->key), f);
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: cannot read the secret file %s: %s\n",
			prog, ctx, path, strerror(errno));
		if (!is_stdin)
			fclose(f);
		memset(s, 0, sizeof(*s));
		return EXIT_ERROR;
	}
	if (!is_stdin)
		fclose(f);
	/* A text file's final newline is not part of the secret. */
	if (n && n <= SECRET_MAX + 1 && s->key[n - 1] == '\n')
		n--;
	if (n < SECRET_MIN || n > SECRET_MAX) {
		fprintf(stderr, "%s: %s: the secret in %s must be %d to %d bytes, not %s%zu\n",
			prog, ctx, is_stdin ? "stdin" : path, SECRET_MIN,
			SECRET_MAX, n > SECRET_MAX ? "more than " : "",
			n > SECRET_MAX ? (size_t)SECRET_MAX : n);
		memset(s, 0, sizeof(*s));
		return EXIT_USAGE;
	}
	s->len = n;
	return EXIT_OK;
}

int secret_from_string(const char *val, struct secret *s)
{
	size_t n = strlen(val);

	memset(s, 0, sizeof(*s));
	if (n < SECRET_MIN || n > SECRET_MAX)
		return -1;
	memcpy(s->key, val, n);
	s->len = n;
	return 0;
}

void secret_clear(struct secret *s)
{
	/* Not optimized away: the compiler cannot see through a volatile
	 * function pointer.
	 */
	static void *(*const volatile wipe)(void *, int, size_t) = memset;

	wipe(s, 0, sizeof(*s));
}
