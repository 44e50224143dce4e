// Push-T geometry shared with evaluation code: the original's coverage score.
#ifndef JEPA_ENV_PUSHT_H
#define JEPA_ENV_PUSHT_H

// The original success measure of Diffusion Policy's PushTEnv: area(block T ∩ goal T) / area(T),
// in [0, 1], computed exactly (convex clipping of the T's two boxes against the goal's two).
// block and goal are poses (x, y, angle) of the T's body origin (the middle of the bar's top
// edge), i.e. state[2..4] of a pusht state.
double jepa_pusht_coverage(const float *block_pose, const float *goal_pose);

#endif
