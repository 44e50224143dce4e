// The one thread setting of the process, for our OpenMP loops and kernels.
#ifndef JEPA_THREADS_H
#define JEPA_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

// The number of threads kernels and loops use. On first use it is read from JEPA_THREADS, or
// else the number of online cores.
int jepa_threads_get(void);

// Set the thread count (n >= 1) for our loops and kernels (one OpenMP pool).
void jepa_threads_set(int n);

// Parse a thread count from text (a CLI option or JEPA_THREADS): 1..1024, else -1.
int jepa_threads_parse(const char *text);

// The index of the calling thread inside a parallel region (0 outside one).
int jepa_thread_index(void);

#ifdef __cplusplus
}
#endif
#endif
