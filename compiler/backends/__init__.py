"""Backends: what the checked model is compiled into (validators, site pages, reports)."""
