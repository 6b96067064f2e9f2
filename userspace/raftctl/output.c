// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl: output helpers. Aligned tables for people, JSON for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "raftctl.h"

struct table {
	int ncols;
	int nrows;		/* including the header row */
	char **cells;		/* nrows * ncols */
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_ERROR);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_ERROR);
	}
	return d;
}

struct table *table_new(int ncols, const char *const *headers)
{
	struct table *t = xrealloc(NULL, sizeof(*t));

	t->ncols = ncols;
	t->nrows = 0;
	t->cells = NULL;
	table_add_row(t, headers);
	return t;
}

void table_add_row(struct table *t, const char *const *cells)
{
	int i;

	t->cells = xrealloc(t->cells,
			    sizeof(char *) * t->ncols * (t->nrows + 1));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i]);
	t->nrows++;
}

void table_print(struct table *t, FILE *f)
{
	table_print_indented(t, f, "");
}

/* Columns separated by two spaces; the last one is not padded. */
void table_print_indented(struct table *t, FILE *f, const char *indent)
{
	size_t *w = calloc(t->ncols, sizeof(*w));
	int r, c;

	if (!w) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_ERROR);
	}
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t l = strlen(t->cells[r * t->ncols + c]);

			if (l > w[c])
				w[c] = l;
		}
	for (r = 0; r < t->nrows; r++) {
		fputs(indent, f);
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (c == t->ncols - 1)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)w[c], s);
		}
	}
	free(w);
}

void table_free(struct table *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/*
 * Length of the well-formed UTF-8 sequence at P (RFC 3629: no overlong
 * form, no surrogate, nothing above U+10FFFF), or 0.
 */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * S between double quotes: well-formed UTF-8 sequences as they are, a
 * byte that is not UTF-8 (a path is any bytes) as BAD, and each ASCII
 * byte through ASCII (which escapes what the format needs).
 */
static void quoted_utf8(FILE *f, const char *s, const char *bad,
			void (*ascii)(FILE *f, unsigned char c))
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	for (; *p; p++) {
		if (*p < 0x80) {
			ascii(f, *p);
			continue;
		}
		n = utf8_len(p);
		if (!n) {
			fputs(bad, f);
		} else {
			fwrite(p, 1, n, f);
			p += n - 1;
		}
	}
	fputc('"', f);
}

static void json_ascii(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	default:
		if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

void json_string(FILE *f, const char *s)
{
	quoted_utf8(f, s, "\\ufffd", json_ascii);
}

/* The Prometheus text format escapes only these three. */
static void prom_ascii(FILE *f, unsigned char c)
{
	if (c == '\\')
		fputs("\\\\", f);
	else if (c == '"')
		fputs("\\\"", f);
	else if (c == '\n')
		fputs("\\n", f);
	else
		fputc(c, f);
}

void prom_label_value(FILE *f, const char *s)
{
	quoted_utf8(f, s, "\xef\xbf\xbd", prom_ascii);	/* U+FFFD */
}

/* 1073741824 -> "1.0G", 4096 -> "4.0K", 512 -> "512B" (binary units). */
void format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024.0 && u < (int)sizeof(units) - 2) {
		v /= 1024.0;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}
