// An arena allocator: the temporary memory of one step, released all at once by a reset.
#ifndef JEPA_ARENA_H
#define JEPA_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct jepa_arena jepa_arena;

// Create an arena with an initial capacity in bytes (0 picks 1 MiB). NULL when out of memory.
// The caller owns it; free with jepa_arena_free.
jepa_arena *jepa_arena_create(size_t capacity);

// Free the arena and everything allocated from it. NULL is a no-op.
void jepa_arena_free(jepa_arena *arena);

// Allocate bytes aligned to 64 (uninitialized); NULL when out of memory. The memory lives until
// the next reset. When the current block is full a new block is chained; the next reset merges
// all blocks into one, so a loop that allocates the same amount every step stops growing after
// its first step.
void *jepa_arena_alloc(jepa_arena *arena, size_t bytes);

// Like jepa_arena_alloc, zero-filled.
void *jepa_arena_calloc(jepa_arena *arena, size_t bytes);

// Release every allocation at once, keeping the memory for reuse.
void jepa_arena_reset(jepa_arena *arena);

// Bytes handed out since the last reset; bytes reserved from the system in all.
size_t jepa_arena_used(const jepa_arena *arena);
size_t jepa_arena_capacity(const jepa_arena *arena);

// The peak of jepa_arena_used since creation.
size_t jepa_arena_peak(const jepa_arena *arena);

#ifdef __cplusplus
}
#endif
#endif
