"""The safe expression parser: text to jacobi expressions, never evaluated."""
from .grammar import (
                      GREEK,
                      MAX_DEPTH,
                      ParseError,
                      ParseResult,
                      ParseShapeError,
                      Token,
                      known_functions,
                      parse,
                      parse_result,
                      shape_spec,
                      tokenize,
)
