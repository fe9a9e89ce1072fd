"""lab-culture-survey: instruments, forms, response import and comparison reports.

The package is split by where data crosses a boundary:

- :mod:`survey.instrument` loads and validates an instrument (YAML) into frozen dataclasses;
- :mod:`survey.forms` turns an instrument into files for each fielding platform;
- :mod:`survey.responses` turns a platform's response export into a validated ResponseSet;
- :mod:`survey.simulate` makes synthetic responses from the instrument's hypotheses;
- :mod:`survey.cli` is the ``survey`` command.

Importing :mod:`survey` is cheap: pandas and the statistics stack load only where used.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
