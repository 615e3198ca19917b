"""What people and CI run: the command line, the preview server and the CI helpers
(verify, link and leak checks, site diff, WebSub pings, deploy state, schedules)."""
