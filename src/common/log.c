#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"

static LogLevel log_level = LOG_LEVEL_WARNING;
static char log_context[256];

void
log_set_level(LogLevel level)
{
	log_level = level;
}

bool
log_enabled(LogLevel level)
{
	return level >= log_level;
}

void
log_set_context(const char *context)
{
	snprintf(log_context, sizeof(log_context), "%s", context ? context : "");
}

/* One fprintf per line so that lines from parallel workers never interleave mid-line. Every
 * line is escaped whole (control bytes and invalid UTF-8 as \xNN): whatever a message quotes
 * (a server's message, a file's name, a database's name) never reaches a terminal raw nor
 * forges a line of its own. */
static void
log_emit(const char *tag, const char *fmt, va_list ap)
{
	char line[4096], safe[4 * sizeof(line)];
	size_t n = 0;

	vsnprintf(line, sizeof(line), fmt, ap);
	for (const unsigned char *p = (const unsigned char *) line; *p;)
	{
		size_t len = text_printable_len(p);
		if (len == 0)
		{
			n += (size_t) snprintf(safe + n, sizeof(safe) - n, "\\x%02x", *p++);
			continue;
		}
		memcpy(safe + n, p, len);
		n += len;
		p += len;
	}
	safe[n] = '\0';
	fprintf(stderr, "ebb: %s%s: %s\n", log_context, tag, safe);
}

#define LOG_FUNC(fname, level, tag)                                                                \
	void fname(const char *fmt, ...)                                                               \
	{                                                                                              \
		va_list ap;                                                                                \
		if (!log_enabled(level))                                                                   \
			return;                                                                                \
		va_start(ap, fmt);                                                                         \
		log_emit(tag, fmt, ap);                                                                    \
		va_end(ap);                                                                                \
	}

LOG_FUNC(log_error, LOG_LEVEL_ERROR, "error")
LOG_FUNC(log_warning, LOG_LEVEL_WARNING, "warning")
LOG_FUNC(log_info, LOG_LEVEL_INFO, "info")
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG, "debug")
LOG_FUNC(log_detail, LOG_LEVEL_ERROR, "detail")
LOG_FUNC(log_hint, LOG_LEVEL_ERROR, "hint")
