"""What the lessons and instruments show: the inspector, landscape, hidden units, runs, formulas, lessons.

The top layer: it may import everything else in the core.
"""
