"""Reports: charts of analysis results (:mod:`allychain.report.charts`) and the other report
modules beside it.

matplotlib is imported only inside the chart functions, so importing allychain stays light.
"""
