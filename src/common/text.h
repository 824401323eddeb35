/*
 * text.h: text from users made safe to quote in a message. Every message that quotes a value
 * or a name from argv or a config file passes it through text_escape(), so that a control
 * character (an escape sequence for the terminal, a newline that forges a log line) or a byte
 * that is not UTF-8 reaches stderr as \xNN, never raw.
 */
#ifndef EBB_COMMON_TEXT_H
#define EBB_COMMON_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct EscapedText
{
	char s[1024];
} EscapedText;

/*
 * The text with control characters (C0, DEL, C1), bytes outside valid UTF-8 and nothing else
 * written as \xNN; cut with "..." when longer than the buffer. Printable ASCII and valid
 * UTF-8 pass unchanged. The result lives until the end of the full expression that calls it
 * (C11's temporary lifetime), so it is used in place:
 *     error_set(err, EBB_ERR_USAGE, "invalid value \"%s\"", text_escape(value).s);
 */
EscapedText text_escape(const char *in);

/* The length of the printable character at p (1 to 4 bytes), or 0 when the byte at p must be
 * escaped. */
size_t text_printable_len(const unsigned char *p);

/* Bytes as pg_size_pretty() prints them ("812 MB"). */
void text_bytes(int64_t bytes, char *out, size_t outlen);

#endif
