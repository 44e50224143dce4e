// jepa collect's policy "plan": the protocol's tasks, driven by the evaluation's agent, so the
// data shows the states a planner visits (DAgger's rounds).
#include "jepa/eval.h"

static jepa_status plan_create(void *user, const jepa_env_model *env, void **self, char *err,
                               size_t err_size) {
    jepa_eval_collect_plan *p = user;
    return jepa_eval_agent_create(p->m, env, &p->cfg, (jepa_eval_agent **)self, err, err_size);
}

static jepa_status plan_begin(void *self, int64_t episode, jepa_env_data *d, char *err,
                              size_t err_size) {
    return jepa_eval_agent_begin(self, (int)episode, d, NULL, err, err_size);
}

static void plan_act(void *self, jepa_env_data *d, float *action) {
    jepa_eval_agent_act(self, d, action);
}

static int plan_finish(void *self, jepa_env_data *d) { return jepa_eval_agent_reached(self, d); }

static void plan_destroy(void *self) { jepa_eval_agent_free(self); }

jepa_collect_agent jepa_eval_collect_agent(jepa_eval_collect_plan *plan) {
    // a gradient planner's backward writes the model's gradients: one episode at a time
    int kind = plan->cfg.planner.kind;
    int serial = kind == JEPA_PLANNER_GD || kind == JEPA_PLANNER_CEM_GD;
    return (jepa_collect_agent){"plan",   plan,     serial,      plan_create, plan_begin,
                                plan_act, plan_finish, plan_destroy};
}
