// The prefetching loader: one thread fills the other of two batches while the caller uses one.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jepa/dataset.h"

struct jepa_loader {
    const jepa_dataset *ds;
    jepa_window window;
    int64_t *episodes, n_episodes;
    int64_t first_row; // of the batches jepa_dataset_sample_rows draws
    uint64_t seed;
    jepa_batch slot[2];
    uint64_t next_fill;    // the batch index the thread makes next
    uint64_t next_take;    // the batch index the caller gets next
    int ready[2], stop;    // slot holds batch next_take (ready) / the thread should exit
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    pthread_t thread;
    int thread_started;
};

static void *loader_main(void *arg) {
    jepa_loader *l = arg;
    pthread_mutex_lock(&l->mutex);
    for (;;) {
        int s = (int)(l->next_fill & 1);
        while (!l->stop && l->ready[s]) pthread_cond_wait(&l->changed, &l->mutex);
        if (l->stop) break;
        uint64_t index = l->next_fill;
        pthread_mutex_unlock(&l->mutex);
        jepa_dataset_sample_rows(l->ds, &l->window, l->episodes, l->n_episodes, l->seed, index,
                                 l->first_row, &l->slot[s]);
        pthread_mutex_lock(&l->mutex);
        l->ready[s] = 1;
        l->next_fill++;
        pthread_cond_broadcast(&l->changed);
    }
    pthread_mutex_unlock(&l->mutex);
    return NULL;
}

jepa_loader *jepa_loader_create(const jepa_dataset *ds, const jepa_window *w, int64_t B,
                                int64_t first_row, const int64_t *episodes, int64_t n_episodes,
                                uint64_t seed, uint64_t first, char *err, size_t err_size) {
    if (n_episodes < 1) {
        jepa_fail(err, err_size, JEPA_ERR_INVALID, "the data loader has no episodes to draw from");
        return NULL;
    }
    if (jepa_window_span(w) > ds->steps) {
        jepa_fail(err, err_size, JEPA_ERR_INVALID,
                  "a window of %d frames %d steps apart does not fit episodes of %lld steps",
                  w->frames, w->frameskip, (long long)ds->steps);
        return NULL;
    }
    jepa_loader *l = calloc(1, sizeof *l);
    if (!l) goto nomem;
    l->ds = ds;
    l->window = *w;
    l->seed = seed;
    l->first_row = first_row;
    l->next_fill = l->next_take = first;
    l->n_episodes = n_episodes;
    l->episodes = malloc(sizeof(int64_t) * (size_t)n_episodes);
    if (!l->episodes || jepa_batch_alloc(&l->slot[0], ds, w, B) != JEPA_OK ||
        jepa_batch_alloc(&l->slot[1], ds, w, B) != JEPA_OK)
        goto nomem;
    memcpy(l->episodes, episodes, sizeof(int64_t) * (size_t)n_episodes);
    pthread_mutex_init(&l->mutex, NULL);
    pthread_cond_init(&l->changed, NULL);
    if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
        jepa_fail(err, err_size, JEPA_ERR_NOMEM, "cannot start the data loader thread");
        jepa_loader_free(l);
        return NULL;
    }
    l->thread_started = 1;
    return l;
nomem:
    jepa_loader_free(l);
    jepa_fail(err, err_size, JEPA_ERR_NOMEM, "out of memory for the data loader");
    return NULL;
}

const jepa_batch *jepa_loader_next(jepa_loader *l) {
    pthread_mutex_lock(&l->mutex);
    // hand back the slot the caller used last time
    if (l->next_take > 0) {
        int prev = (int)((l->next_take - 1) & 1);
        if (l->ready[prev] == 2) l->ready[prev] = 0;
    }
    pthread_cond_broadcast(&l->changed);
    int s = (int)(l->next_take & 1);
    while (l->ready[s] != 1) pthread_cond_wait(&l->changed, &l->mutex);
    l->ready[s] = 2; // in use by the caller
    l->next_take++;
    pthread_mutex_unlock(&l->mutex);
    return &l->slot[s];
}

void jepa_loader_free(jepa_loader *l) {
    if (!l) return;
    if (l->thread_started) {
        pthread_mutex_lock(&l->mutex);
        l->stop = 1;
        pthread_cond_broadcast(&l->changed);
        pthread_mutex_unlock(&l->mutex);
        pthread_join(l->thread, NULL);
        pthread_mutex_destroy(&l->mutex);
        pthread_cond_destroy(&l->changed);
    }
    jepa_batch_free(&l->slot[0]);
    jepa_batch_free(&l->slot[1]);
    free(l->episodes);
    free(l);
}
