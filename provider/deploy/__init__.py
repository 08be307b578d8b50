"""Pulumi: the dynamic resource, the program's logic, the stack config, the engine settings, import
and promotion. Makes no HTTP call itself: every API call goes through a `provider.platforms` platform."""
