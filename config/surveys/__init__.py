"""Questionnaires shipped with Sejabot (YAML, see docs/SURVEY_FORMAT.md)."""
