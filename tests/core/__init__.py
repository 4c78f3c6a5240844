"""Tests of the provider core."""
