"""Live plots: pyqtgraph items created once, then updated with setData."""
