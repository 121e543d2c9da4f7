"""Surveys in the chat: respondents answer, the secretariat sends and follows."""
