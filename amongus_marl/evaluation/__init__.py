"""Evaluation: play many games with given policies, summarise them, and rate the policies."""
