"""Built-in starter rule sets (YAML package data); load them with
:func:`competency_models.mapping.load_builtin_ruleset`. docs/rules.md explains each one."""
