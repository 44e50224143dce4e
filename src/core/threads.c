// The thread setting, applied to OpenMP.
#include "jepa/threads.h"

#include <omp.h>
#include <stdlib.h>
#include <unistd.h>

#include "jepa/log.h"
#include "jepa/status.h"

static int g_threads = 0;

int jepa_threads_parse(const char *text) {
    if (!text || !*text) return -1;
    char *end;
    long n = strtol(text, &end, 10);
    if (*end != '\0' || n < 1 || n > 1024) return -1;
    return (int)n;
}

void jepa_threads_set(int n) {
    JEPA_CHECK(n >= 1);
    g_threads = n;
    omp_set_num_threads(n);
}

int jepa_threads_get(void) {
    if (g_threads == 0) {
        const char *env = getenv("JEPA_THREADS");
        int n = jepa_threads_parse(env);
        if (env && n < 0) JEPA_WARN("JEPA_THREADS=%s is not a thread count in 1..1024; ignored", env);
        if (n < 0) {
            long cores = sysconf(_SC_NPROCESSORS_ONLN);
            n = cores > 0 ? (int)cores : 1;
        }
        jepa_threads_set(n);
    }
    return g_threads;
}

int jepa_thread_index(void) { return omp_get_thread_num(); }
