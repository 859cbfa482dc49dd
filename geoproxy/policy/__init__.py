"""Policy: the pydantic models of routing.yaml, YAML loading with its source map, the checks, the
region catalog. Imports only the base (errors).
"""
