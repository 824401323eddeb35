/*
 * error.h: the error object every fallible call fills, and the one table of error codes.
 *
 * Convention: a fallible function returns bool; on false it has filled the EbbError that the
 * caller owns (usually on the caller's stack). Messages follow PostgreSQL's frontend style:
 * lowercase, no final period; detail and hint are whole sentences.
 */
#ifndef EBB_COMMON_ERROR_H
#define EBB_COMMON_ERROR_H

#include <stdbool.h>

/* X(code, exit status, name): the single table of error codes. */
#define EBB_ERROR_CODES(X)                                                                         \
	X(EBB_OK, 0, "ok")                                                                             \
	X(EBB_ERR_USAGE, 2, "usage")                                                                   \
	X(EBB_ERR_CONFIG, 2, "config")                                                                 \
	X(EBB_ERR_CONNECT, 1, "connection")                                                            \
	X(EBB_ERR_QUERY, 1, "query")                                                                   \
	X(EBB_ERR_IO, 1, "io")                                                                         \
	X(EBB_ERR_VERIFY, 1, "verify")                                                                 \
	X(EBB_ERR_DATA, 1, "data")                                                                     \
	X(EBB_ERR_CANCELED, 1, "canceled")                                                             \
	X(EBB_ERR_BUSY, 3, "busy")                                                                     \
	X(EBB_ERR_INTERNAL, 1, "internal")

typedef enum EbbErrorCode
{
#define EBB_X_ENUM(code, status, name) code,
	EBB_ERROR_CODES(EBB_X_ENUM)
#undef EBB_X_ENUM
} EbbErrorCode;

typedef struct EbbError
{
	EbbErrorCode code;
	char message[1024];
	char detail[2048];
	char hint[1024];
	char sqlstate[6]; /* the server's SQLSTATE when the error is the server's, else "" */
} EbbError;

void error_init(EbbError *err);

/* Sets code and message, clears detail, hint and sqlstate; always returns false so callers can
 * `return error_set(...)`. */
bool error_set(EbbError *err, EbbErrorCode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void error_detail(EbbError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void error_hint(EbbError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the message with context, e.g. "database \"a\": ". */
void error_prefix(EbbError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int error_exit_status(EbbErrorCode code);
const char *error_code_name(EbbErrorCode code);

/* Prints "ebb: error: message" then "ebb: detail: ..." and "ebb: hint: ..." to stderr. */
void error_print(const EbbError *err);

#endif
