// A logger with levels, writing one line per message to stderr.
#ifndef JEPA_LOG_H
#define JEPA_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum jepa_log_level {
    JEPA_LOG_DEBUG = 0,
    JEPA_LOG_INFO,
    JEPA_LOG_WARN,
    JEPA_LOG_ERROR,
    JEPA_LOG_OFF,
} jepa_log_level;

// Messages below level are dropped. The default is INFO, or JEPA_LOG=debug|info|warn|error|off.
void jepa_log_set_level(jepa_log_level level);
jepa_log_level jepa_log_get_level(void);

// Parse "debug", "info", "warn", "error" or "off"; returns -1 for anything else.
int jepa_log_level_parse(const char *name);

void jepa_log(jepa_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#define JEPA_DEBUG(...) jepa_log(JEPA_LOG_DEBUG, __VA_ARGS__)
#define JEPA_INFO(...) jepa_log(JEPA_LOG_INFO, __VA_ARGS__)
#define JEPA_WARN(...) jepa_log(JEPA_LOG_WARN, __VA_ARGS__)
#define JEPA_ERROR(...) jepa_log(JEPA_LOG_ERROR, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
