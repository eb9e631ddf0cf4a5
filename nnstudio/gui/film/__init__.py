"""Films of a run: its frames painted offscreen with the window's own plots (`nnstudio record`, File ▸ Export ▸
Animation…)."""
