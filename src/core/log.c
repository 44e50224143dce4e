// The logger: a level read once from JEPA_LOG, one locked line per message.
#include "jepa/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_level = -1; // -1: not yet read from the environment

int jepa_log_level_parse(const char *name) {
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (name && strcmp(name, names[i]) == 0) return i;
    return -1;
}

jepa_log_level jepa_log_get_level(void) {
    if (g_level < 0) {
        int parsed = jepa_log_level_parse(getenv("JEPA_LOG"));
        g_level = parsed >= 0 ? parsed : JEPA_LOG_INFO;
    }
    return (jepa_log_level)g_level;
}

void jepa_log_set_level(jepa_log_level level) { g_level = (int)level; }

void jepa_log(jepa_log_level level, const char *fmt, ...) {
    static const char *tags[] = {"debug", "info", "warning", "error"};
    if (level < jepa_log_get_level() || level >= JEPA_LOG_OFF) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    // one fprintf per line, so lines from several threads do not interleave
    if (level == JEPA_LOG_INFO) fprintf(stderr, "jepa: %s\n", line);
    else fprintf(stderr, "jepa: %s: %s\n", tags[level], line);
}
