// The progress bar.
#define _POSIX_C_SOURCE 200809L
#include "jepa/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jepa/log.h"
#include "jepa/timer.h"

static void format_duration(char *out, size_t n, double seconds) {
    if (seconds < 0 || seconds > 1e7) {
        snprintf(out, n, "?");
        return;
    }
    int s = (int)(seconds + 0.5);
    if (s >= 3600) snprintf(out, n, "%dh%02dm", s / 3600, s / 60 % 60);
    else snprintf(out, n, "%dm%02ds", s / 60, s % 60);
}

void jepa_progress_begin_from(jepa_progress *p, const char *label, int64_t total, int64_t first) {
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total;
    p->done = p->first = first;
    p->start = jepa_time_now();
    p->last_print = -1.0;
    p->tty = isatty(STDERR_FILENO);
    p->quiet = jepa_log_get_level() > JEPA_LOG_INFO;
}

void jepa_progress_begin(jepa_progress *p, const char *label, int64_t total) {
    jepa_progress_begin_from(p, label, total, 0);
}

static void print_line(jepa_progress *p, const char *extra, int final) {
    double now = jepa_time_now(), elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)(p->done - p->first) / elapsed : 0.0;
    char eta[16], took[16];
    format_duration(eta, sizeof eta, rate > 0 ? (double)(p->total - p->done) / rate : -1.0);
    format_duration(took, sizeof took, elapsed);
    double frac = p->total > 0 ? (double)p->done / (double)p->total : 1.0;
    char bar[21];
    int filled = (int)(frac * 20.0);
    for (int i = 0; i < 20; i++) bar[i] = i < filled ? '#' : '.';
    bar[20] = '\0';
    char line[256];
    snprintf(line, sizeof line, "%s [%s] %3d%% %lld/%lld %.1f/s %s %s%s%s", p->label, bar,
             (int)(frac * 100.0), (long long)p->done, (long long)p->total, rate,
             final ? "in" : "eta", final ? took : eta, extra ? "  " : "", extra ? extra : "");
    if (p->tty) fprintf(stderr, "\r%-100s%s", line, final ? "\n" : "");
    else fprintf(stderr, "%s\n", line);
    fflush(stderr);
    p->last_print = now;
}

void jepa_progress_update(jepa_progress *p, int64_t done, const char *extra) {
    int64_t before = p->done;
    p->done = done;
    if (p->quiet) return;
    double now = jepa_time_now();
    if (p->tty) {
        if (now - p->last_print >= 0.1) print_line(p, extra, 0);
    } else if (p->total > 0) {
        // a plain line each time another tenth is done, and at least once a minute (a run that a
        // time limit stops may never reach its next tenth)
        double since = now - (p->last_print < 0 ? p->start : p->last_print);
        if (done * 10 / p->total != before * 10 / p->total || since >= 60.0) print_line(p, extra, 0);
    }
}

void jepa_progress_end(jepa_progress *p, const char *extra) {
    if (p->quiet) return;
    print_line(p, extra, 1);
}
