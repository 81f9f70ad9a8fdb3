"""The capacity domain: profiles, limits, the planner and the simulator. Pure Python."""
