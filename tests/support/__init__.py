"""The one test-support package: `project` (a throw-away copy of the project), `engine` (the
Automation API against the emulator, call metering), `cli` (archctl in-process), `client` (the client
tests' helpers), `state` (fresh process state and demo connections)."""
