// The arena: a chain of blocks, bump allocation, merged into one block on reset.
#include "jepa/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64

typedef struct arena_block {
    struct arena_block *next; // older block
    size_t size, used;
    unsigned char *data;
} arena_block;

struct jepa_arena {
    arena_block *head; // the block allocations come from
    size_t used_before_head; // bytes used in the older blocks
    size_t peak;
};

static arena_block *block_new(size_t size) {
    arena_block *b = malloc(sizeof *b);
    if (!b) return NULL;
    b->data = aligned_alloc(ARENA_ALIGN, (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN);
    if (!b->data) {
        free(b);
        return NULL;
    }
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

static void blocks_free(arena_block *b) {
    while (b) {
        arena_block *next = b->next;
        free(b->data);
        free(b);
        b = next;
    }
}

jepa_arena *jepa_arena_create(size_t capacity) {
    jepa_arena *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->head = block_new(capacity ? capacity : (size_t)1 << 20);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void jepa_arena_free(jepa_arena *arena) {
    if (!arena) return;
    blocks_free(arena->head);
    free(arena);
}

void *jepa_arena_alloc(jepa_arena *arena, size_t bytes) {
    size_t need = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (need == 0) need = ARENA_ALIGN;
    arena_block *b = arena->head;
    if (b->size - b->used < need) {
        // chain a new block at least twice the old one
        size_t size = b->size * 2 > need ? b->size * 2 : need;
        arena_block *nb = block_new(size);
        if (!nb) return NULL;
        nb->next = b;
        arena->used_before_head += b->used;
        arena->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    size_t used = arena->used_before_head + b->used;
    if (used > arena->peak) arena->peak = used;
    return p;
}

void *jepa_arena_calloc(jepa_arena *arena, size_t bytes) {
    void *p = jepa_arena_alloc(arena, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void jepa_arena_reset(jepa_arena *arena) {
    if (arena->head->next) {
        // merge: one block as large as all of them, so the same step next time fits in it
        size_t total = jepa_arena_capacity(arena);
        arena_block *merged = block_new(total);
        if (merged) {
            blocks_free(arena->head);
            arena->head = merged;
        } else {
            blocks_free(arena->head->next); // keep the newest (largest) block
            arena->head->next = NULL;
        }
    }
    arena->head->used = 0;
    arena->used_before_head = 0;
}

size_t jepa_arena_used(const jepa_arena *arena) {
    return arena->used_before_head + arena->head->used;
}

size_t jepa_arena_capacity(const jepa_arena *arena) {
    size_t total = 0;
    for (const arena_block *b = arena->head; b; b = b->next) total += b->size;
    return total;
}

size_t jepa_arena_peak(const jepa_arena *arena) { return arena->peak; }
