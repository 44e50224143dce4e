// Shared by the planners: batch evaluation, keyed randomness, bounds.
#ifndef JEPA_PLAN_INTERNAL_H
#define JEPA_PLAN_INTERNAL_H

#include "jepa/plan.h"

// Evaluate the costs of candidates p->samples[0..n) into p->costs (no gradient recorded).
void jepa_plan_evaluate(jepa_planner *p, const jepa_plan_problem *prob, int n);
// The random stream of (seed, plan index, iteration).
void jepa_plan_rng(const jepa_planner *p, int iteration, jepa_rng *rng);
// Clip rows of (H, A) actions into the bounds: x (rows, H, A).
void jepa_plan_clip(const jepa_planner *p, float *x, int rows);
// The initial mean: the warm start, else the middle of the bounds. std from init_std.
void jepa_plan_init_distribution(jepa_planner *p);
// Sort p->order[0..n) by p->costs (ties by index, so the order is deterministic).
void jepa_plan_sort(jepa_planner *p, int n);

// The planners: write the plan (H, A) to out (jepa_planner_plan scores it).
void jepa_plan_cem(jepa_planner *p, const jepa_plan_problem *prob, float *out);
void jepa_plan_mppi(jepa_planner *p, const jepa_plan_problem *prob, float *out);
// GD from init (H, A) (restart 0; the others start around it, or uniform when init is NULL).
void jepa_plan_gd(jepa_planner *p, const jepa_plan_problem *prob, const float *init, float *out);

#endif
