"""Presentation: plain-English sentences, disclosure control and HTML rendering."""
