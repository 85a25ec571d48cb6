"""danvan-workflow: deadline and workflow engine for Vietnamese public-sector reporting."""

__version__ = "0.1.0"
