"""The files nnstudio ships: examples, lessons, the icon. Installed as the package `nnstudio.resources`."""
