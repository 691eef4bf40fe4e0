"""The way along the workflow from one status to another, for a record brought in at a later
stage than its first: the shortest path that never steps back."""

from __future__ import annotations

from collections import deque

from cases.models.cases import STAGE, TRANSITIONS


def forward_path(start: str, goal: str) -> list[str] | None:
    """The statuses after `start` up to `goal`, each a transition forward; None if there is
    no such way."""
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        status = queue.popleft()
        if status == goal:
            path = []
            while status != start:
                path.append(status)
                status = came_from[status]
            return path[::-1]
        for step in TRANSITIONS[status]:
            if step not in came_from and STAGE[step] > STAGE[status]:
                came_from[step] = status
                queue.append(step)
    return None
