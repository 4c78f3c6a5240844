"""Tests for the Arabic TTS integration and Wyoming server."""
