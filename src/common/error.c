#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

void
error_init(EbbError *err)
{
	memset(err, 0, sizeof(*err));
}

bool
error_set(EbbError *err, EbbErrorCode code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->detail[0] = '\0';
	err->hint[0] = '\0';
	err->sqlstate[0] = '\0';
	return false;
}

void
error_detail(EbbError *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void
error_hint(EbbError *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void
error_prefix(EbbError *err, const char *fmt, ...)
{
	char prefix[512];
	char old[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	snprintf(err->message, sizeof(err->message), "%s%s", prefix, old);
}

int
error_exit_status(EbbErrorCode code)
{
	switch (code)
	{
#define EBB_X_STATUS(c, status, name)                                                              \
	case c: return status;
		EBB_ERROR_CODES(EBB_X_STATUS)
#undef EBB_X_STATUS
	}
	return 1;
}

const char *
error_code_name(EbbErrorCode code)
{
	switch (code)
	{
#define EBB_X_NAME(c, status, name)                                                                \
	case c: return name;
		EBB_ERROR_CODES(EBB_X_NAME)
#undef EBB_X_NAME
	}
	return "unknown";
}

void
error_print(const EbbError *err)
{
	log_error("%s", err->message);
	if (err->detail[0])
		log_detail("%s", err->detail);
	if (err->hint[0])
		log_hint("%s", err->hint);
}
