"""Provider core shared by the Home Assistant integration and the Wyoming server.

Nothing in this package imports Home Assistant: the Wyoming server imports it as
``arabic_tts_core`` (see pyproject.toml) and Home Assistant as ``.core``. Modules import
each other relatively so that both names work.
"""
