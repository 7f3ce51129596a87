"""Draw ``docs/episode.gif``, the README's picture: one five-player game between heuristic players,
seen by a spectator (``reveal_roles=True``), one frame per turn of the task phase and of each
meeting's vote. Run ``python docs/make_episode_gif.py`` from the repository root."""

from __future__ import annotations

from pathlib import Path

import amongus_marl
from amongus_marl.policies import make_policy
from amongus_marl.rendering import save_video

OUT = Path(__file__).with_name("episode.gif")


def main(seed: int = 7) -> Path:
    env = amongus_marl.env(config="five_member", render_mode="rgb_array", reveal_roles=True)
    env.reset(seed=seed)
    policy = make_policy("heuristic")
    policy.reset(seed)
    frames = [env.render()]
    for _agent in env.agent_iter():
        observation, _, termination, truncation, info = env.last()
        if termination or truncation:
            env.step(None)
            continue
        env.step(policy.act(observation, info, env.unwrapped.agent_view()))
        if env.unwrapped.game.phase.value == "task" or env.unwrapped.game.is_voting:
            frames.append(env.render())
    frames.append(env.render())
    return save_video(frames, OUT, fps=2)


if __name__ == "__main__":
    print(main())
