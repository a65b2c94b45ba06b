"""Browser-side files of adamviz (JS, CSS, images), shipped as package data."""
