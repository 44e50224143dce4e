// Status strings, error-buffer formatting and the misuse check.
#include "jepa/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *jepa_version(void) { return JEPA_VERSION; }

const char *jepa_status_str(jepa_status status) {
    switch (status) {
    case JEPA_OK: return "ok";
    case JEPA_ERR_INVALID: return "invalid argument";
    case JEPA_ERR_IO: return "i/o error";
    case JEPA_ERR_FORMAT: return "file format error";
    case JEPA_ERR_NOMEM: return "out of memory";
    case JEPA_ERR_SHAPE: return "shape mismatch";
    case JEPA_ERR_UNSUPPORTED: return "not supported by this build";
    case JEPA_ERR_NUMERIC: return "non-finite number";
    case JEPA_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

jepa_status jepa_fail(char *err, size_t err_size, jepa_status status, const char *fmt, ...) {
    if (err && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return status;
}

void jepa_check_failed(const char *file, int line, const char *cond, const char *msg) {
    fprintf(stderr, "jepa: %s:%d: check failed: %s%s%s\n", file, line, cond, msg ? ": " : "",
            msg ? msg : "");
    fflush(stderr);
    abort();
}
