"""Rendering executed notebooks into self-contained, accessible board reports."""

from toolkit.rendering.exporter import render_notebook

__all__ = ["render_notebook"]
