"""A check of the integration's screens in a real Home Assistant and a real browser.

``script/ui-check`` (or ``python -m ui_check``) starts Home Assistant of the newest
supported release (the Python 3.14 root, ``script/ha-current``) with this integration and
the fake Hamsa and Faseeh on TLS, and drives Home Assistant's own frontend in headless
Chromium, once in English and once in Arabic: adding each provider (a refused key, then a
good one), the options, ``tts.speak`` from the developer tools, reauthentication after a
refused key, the diagnostics download and reconfigure. It asserts what the screens show
and what Home Assistant stored, and saves the screenshots the documentation uses
(``docs/images/``).
"""
