"""Tests of the account probe (wyoming-arabic-tts probe)."""
