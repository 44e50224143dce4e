// Receding horizon: plan H steps, execute the first k, shift the plan, re-plan; or, shrinking,
// plan the steps left to a fixed end.
#include <stdlib.h>
#include <string.h>

#include "jepa/plan.h"
#include "jepa/timer.h"

jepa_status jepa_mpc_init(jepa_mpc *mpc, jepa_planner *planner, int execute) {
    memset(mpc, 0, sizeof *mpc);
    if (execute < 1 || execute > planner->horizon) return JEPA_ERR_INVALID;
    mpc->planner = planner;
    mpc->execute = execute;
    mpc->plan = malloc(sizeof(float) * planner->horizon * planner->action_dim);
    if (!mpc->plan) return JEPA_ERR_NOMEM;
    jepa_mpc_reset(mpc);
    return JEPA_OK;
}

void jepa_mpc_free(jepa_mpc *mpc) {
    if (!mpc) return;
    free(mpc->plan);
    memset(mpc, 0, sizeof *mpc);
}

void jepa_mpc_reset(jepa_mpc *mpc) {
    jepa_planner_reset(mpc->planner);
    mpc->next = mpc->queued = 0;
    mpc->plans = 0;
    mpc->plan_seconds = 0.0;
    mpc->last_cost = 0.0f;
}

int jepa_mpc_needs_plan(const jepa_mpc *mpc) {
    return mpc->next >= mpc->queued;
}

void jepa_mpc_act(jepa_mpc *mpc, const jepa_plan_problem *prob, float *action) {
    int a = mpc->planner->action_dim;
    // plan when the queue is empty; the warm start moves past the steps about to run
    if (jepa_mpc_needs_plan(mpc)) {
        jepa_planner *pl = mpc->planner;
        // shrinking: the steps of the last plan's span not yet run (all of the first plan's
        // full horizon), or a new span of respan steps (0: the full horizon)
        int left = pl->horizon - mpc->queued;
        int span = mpc->respan ? mpc->respan : pl->max_horizon;
        if (mpc->shrink) jepa_planner_set_horizon(pl, left > 0 ? left : span);
        double t0 = jepa_time_now();
        mpc->last_cost = jepa_planner_plan(pl, prob, mpc->plan);
        mpc->plan_seconds += jepa_time_now() - t0;
        mpc->plans++;
        mpc->queued = mpc->execute < pl->horizon ? mpc->execute : pl->horizon;
        jepa_planner_shift(pl, mpc->queued);
        mpc->next = 0;
    }
    memcpy(action, mpc->plan + (int64_t)mpc->next * a, sizeof(float) * a);
    mpc->next++;
}
