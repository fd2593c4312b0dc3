"""The study definition: a REDCap data dictionary, its branching logic, validation and the plan.

Nothing here knows about the web, files other than the definition's own, or survival analysis.
"""

from followup.study.dictionary import DataDictionary, Field, load_dictionary, read_dictionary
from followup.study.errors import DictionaryError, LogicError, Problem, StudyError
from followup.study.logic import Logic, parse_logic

__all__ = [
    "DataDictionary",
    "DictionaryError",
    "Field",
    "Logic",
    "LogicError",
    "Problem",
    "StudyError",
    "load_dictionary",
    "parse_logic",
    "read_dictionary",
]
