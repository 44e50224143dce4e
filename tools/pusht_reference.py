"""Push-T reference trajectories from pymunk (the physics of Diffusion Policy's PushTEnv).

Rebuilds the original's space (walls, kinematic agent, T block with the original's mass,
moment and centre of gravity, friction left at pymunk's default 0, damping 0) and steps it with
the PD law, for relative actions (DINO-WM: target = agent + 100 a). Reads episodes from stdin,
one per line: 7 state floats then pairs of actions; writes, per line, the 7-float state after
every control step. Not needed to build or test jepa.c: it made tests/data/pusht_reference.txt.

    pip install pymunk==6.2.1   # Chipmunk 7.0.3, as the original pinned
    python tools/pusht_reference.py < episodes.txt > reference.txt
"""
import math
import sys

import pymunk


def make_space():
    space = pymunk.Space()
    space.gravity = 0, 0
    space.damping = 0
    for a, b in [((5, 506), (5, 5)), ((5, 5), (506, 5)), ((506, 5), (506, 506)), ((5, 506), (506, 506))]:
        space.add(pymunk.Segment(space.static_body, a, b, 2))
    agent = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
    agent.position = (256, 400)
    space.add(agent, pymunk.Circle(agent, 15))
    scale, length = 30, 4
    v1 = [(-length * scale / 2, scale), (length * scale / 2, scale), (length * scale / 2, 0), (-length * scale / 2, 0)]
    v2 = [(-scale / 2, scale), (-scale / 2, length * scale), (scale / 2, length * scale), (scale / 2, scale)]
    block = pymunk.Body(1, 2 * pymunk.moment_for_poly(1, vertices=v1))  # the original's sum
    s1, s2 = pymunk.Poly(block, v1), pymunk.Poly(block, v2)
    block.center_of_gravity = (s1.center_of_gravity + s2.center_of_gravity) / 2
    block.position = (256, 300)
    space.add(block, s1, s2)
    return space, agent, block


def run(state, actions):
    space, agent, block = make_space()
    agent.velocity = tuple(state[5:7])
    agent.position = tuple(state[0:2])
    block.angle = state[4]
    block.position = tuple(state[2:4])
    out = []
    for ax, ay in actions:
        target = agent.position + pymunk.Vec2d(ax, ay) * 100
        for _ in range(10):
            acc = 100 * (target - agent.position) + 20 * (pymunk.Vec2d(0, 0) - agent.velocity)
            agent.velocity += acc * 0.01
            space.step(0.01)
        out.append([*agent.position, *block.position, block.angle % (2 * math.pi), *agent.velocity])
    return out


for line in sys.stdin:
    v = [float(x) for x in line.split()]
    if not v:
        continue
    acts = list(zip(v[7::2], v[8::2]))
    print(" ".join(f"{x:.9g}" for s in run(v[:7], acts) for x in s))
