// Status codes, and the always-on check for misuse.
#ifndef JEPA_STATUS_H
#define JEPA_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Runtime failures (I/O, format, memory, numbers) are returned as a status; the library never
// calls exit(). Misuse of the API (shape mismatch, NULL where not allowed) hits JEPA_CHECK.
typedef enum jepa_status {
    JEPA_OK = 0,
    JEPA_ERR_INVALID,     // a bad argument, option or config value
    JEPA_ERR_IO,          // a file could not be opened, read, written or renamed
    JEPA_ERR_FORMAT,      // a file's contents are malformed
    JEPA_ERR_NOMEM,       // an allocation failed
    JEPA_ERR_SHAPE,       // tensor shapes do not fit together
    JEPA_ERR_UNSUPPORTED, // a feature that this build lacks
    JEPA_ERR_NUMERIC,     // a NaN or Inf where a finite number is required
    JEPA_ERR_INTERRUPTED, // stopped by a signal; work so far was saved
} jepa_status;

// The library's version, e.g. "0.1.0".
const char *jepa_version(void);

// A static lowercase description of a status, e.g. "file format error"; never NULL.
const char *jepa_status_str(jepa_status status);

// Write a formatted message into err (err_size bytes, may be 0 / NULL) and return status.
// The usual way for a loader to fail: `return jepa_fail(err, n, JEPA_ERR_IO, "%s: ...", path);`
jepa_status jepa_fail(char *err, size_t err_size, jepa_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

// Print file:line and the failed condition, then abort. Used by JEPA_CHECK.
void jepa_check_failed(const char *file, int line, const char *cond, const char *msg)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

// An always-on assertion for misuse (kept under NDEBUG).
#define JEPA_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) jepa_check_failed(__FILE__, __LINE__, #cond, NULL);                          \
    } while (0)
#define JEPA_CHECK_MSG(cond, msg)                                                                  \
    do {                                                                                           \
        if (!(cond)) jepa_check_failed(__FILE__, __LINE__, #cond, (msg));                         \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
