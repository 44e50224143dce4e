// Data-parallel training for `mpirun -np N jepa train`: the CLI's side. The library takes a rank,
// a world size and a sum callback (jepa_train_options); MPI lives only here, and only when CMake
// found it (JEPA_HAVE_MPI on the jepa program).
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"

#ifdef JEPA_HAVE_MPI
#include <mpi.h>
#endif

// the size of the job this process was launched in by mpirun (Open MPI, or a PMI launcher such
// as MPICH's or Slurm's); 1 when started on its own
static int launched_world(void) {
    const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (int i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        if (v && atoi(v) > 0) return atoi(v);
    }
    return 1;
}

#ifdef JEPA_HAVE_MPI
// the library's sum: MPI_Allreduce in place, in pieces that fit MPI's int counts
static void mpi_sum(float *values, int64_t n, void *user) {
    (void)user;
    while (n > 0) {
        int count = n > INT_MAX ? INT_MAX : (int)n;
        MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        values += count;
        n -= count;
    }
}
#endif

int jepa_cli_parallel_begin(jepa_train_options *o) {
    o->rank = 0;
    o->world = 1;
    int launched = launched_world();
#ifdef JEPA_HAVE_MPI
    if (launched > 1) {
        // only this (main) thread calls MPI; the loader and OpenMP threads never do
        int provided;
        MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &o->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &o->world);
        o->sum = mpi_sum;
        o->sum_user = NULL;
    }
    return -1;
#else
    if (launched > 1) {
        fprintf(stderr, "jepa train: started as one of %d processes, but this jepa was built without "
                        "MPI: install Open MPI (scripts/install-deps.sh) and rebuild\n",
                launched);
        return 1;
    }
    return -1;
#endif
}

int jepa_cli_parallel_end(const jepa_train_options *o, jepa_status st, const char *err) {
    if (st != JEPA_OK) {
        // every process shares an interruption: rank 0 says it once
        if (o->rank == 0) fprintf(stderr, "jepa train: %s\n", err);
        else if (st != JEPA_ERR_INTERRUPTED)
            fprintf(stderr, "jepa train: process %d of %d: %s\n", o->rank, o->world, err);
    }
#ifdef JEPA_HAVE_MPI
    if (o->world > 1) {
        // a failure of one process (a file it cannot write...) would leave the others waiting in
        // their next sum: end the whole job; an interruption stops every process at one step
        if (st != JEPA_OK && st != JEPA_ERR_INTERRUPTED) MPI_Abort(MPI_COMM_WORLD, 1);
        MPI_Finalize();
    }
#endif
    return st == JEPA_OK ? 0 : 1;
}
