"""Side panels: each one edits one part of the experiment and reports it by a signal."""
