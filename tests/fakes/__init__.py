"""Protocol-faithful fake Hamsa and Faseeh servers used by the test suite."""
