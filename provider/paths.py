"""The project folder (Pulumi.yaml, flows/, stacks/ and the git-ignored .pulumi, .metrics, .audit).

Its own module, with no imports of the project, so every layer can default a path to it without
importing the engine settings."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
