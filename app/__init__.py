"""adamviz.app — the Panel/Bokeh explorer, its static export and the ``adamviz`` command line.

Importing this package is cheap: Panel and Bokeh load only when an explorer is built.
"""
