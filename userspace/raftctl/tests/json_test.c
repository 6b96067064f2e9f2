// SPDX-License-Identifier: GPL-2.0
/*
 * raftctl's JSON strings: whatever bytes a name or path holds, the output
 * is valid UTF-8 JSON (bytes that are not UTF-8 become U+FFFD). TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../raftctl.h"

const char *prog = "json_test";

static int n, failed;

static void expect(const char *name, const char *in, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		perror("open_memstream");
		exit(1);
	}
	json_string(f, in);
	fclose(f);
	n++;
	if (!strcmp(buf, want)) {
		printf("ok %d - %s\n", n, name);
	} else {
		failed++;
		printf("not ok %d - %s\n# got:  %s\n# want: %s\n", n, name, buf,
		       want);
	}
	free(buf);
}

int main(void)
{
	expect("ASCII as is", "/dev/vdb", "\"/dev/vdb\"");
	expect("quote, backslash, newline, tab escaped", "a\"b\\c\nd\te",
	       "\"a\\\"b\\\\c\\nd\\te\"");
	expect("control bytes as \\u00XX", "a\001b\037", "\"a\\u0001b\\u001f\"");
	expect("two-byte UTF-8 kept", "caf\xc3\xa9", "\"caf\xc3\xa9\"");
	expect("three-byte UTF-8 kept", "\xe2\x82\xac", "\"\xe2\x82\xac\"");
	expect("four-byte UTF-8 kept", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	expect("a Latin-1 byte (0xe9) becomes U+FFFD", "/dev/disk/by-label/caf\xe9",
	       "\"/dev/disk/by-label/caf\\ufffd\"");
	expect("a stray continuation byte becomes U+FFFD", "a\x80z",
	       "\"a\\ufffdz\"");
	expect("an overlong form is refused", "\xc0\xaf",
	       "\"\\ufffd\\ufffd\"");
	expect("an overlong three-byte form is refused", "\xe0\x80\xaf",
	       "\"\\ufffd\\ufffd\\ufffd\"");
	expect("a UTF-16 surrogate is refused", "\xed\xa0\x80",
	       "\"\\ufffd\\ufffd\\ufffd\"");
	expect("above U+10FFFF is refused", "\xf4\x90\x80\x80",
	       "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	expect("a sequence cut by the end of the string", "ok\xe2\x82",
	       "\"ok\\ufffd\\ufffd\"");
	expect("a sequence cut by an ASCII byte", "\xe2\x82z\xc3\xa9",
	       "\"\\ufffd\\ufffdz\xc3\xa9\"");
	printf("1..%d\n", n);
	return failed != 0;
}
