"""Running a study's analysis plan over its records; results are plain frozen dataclasses.

Nothing here draws or prints: ``followup.report`` turns a ``StudyResults`` into HTML, PDF, figures
and tables, and ``StudyResults.write_json`` gives every number to R or pandas.
"""

from followup.analysis.dataset import AnalysisError, StudyData, Variable, study_data
from followup.analysis.run import EndpointResult, StudyResults, analyze

__all__ = [
    "AnalysisError",
    "EndpointResult",
    "StudyData",
    "StudyResults",
    "Variable",
    "analyze",
    "study_data",
]
