"""The command line: Click commands and the renderers (rich for people, JSON for scripts)."""
