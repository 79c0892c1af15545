"""Transforms (v1 API; v2 in transforms.v2)."""
