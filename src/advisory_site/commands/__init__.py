"""The command line, the preview server and the CI helpers."""
