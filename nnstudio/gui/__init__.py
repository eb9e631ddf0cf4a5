"""The desktop app: Qt widgets over the core engine (core never imports this package)."""
