/*
 * log.h: messages to stderr in PostgreSQL's frontend style ("ebb: error: ...").
 * Results meant for the user (summaries, --json) go to stdout, not through here.
 * Nothing that could hold a secret may be passed to these functions.
 */
#ifndef EBB_COMMON_LOG_H
#define EBB_COMMON_LOG_H

#include <stdbool.h>

typedef enum LogLevel
{
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR
} LogLevel;

void log_set_level(LogLevel level);
bool log_enabled(LogLevel level);
/* A prefix such as "[tenant_a] " added after "ebb: " on every line (per worker process). */
void log_set_context(const char *context);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
