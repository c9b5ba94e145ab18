"""Running a document's commands as a reader would, in an environment that mirrors theirs.

`fenced_blocks` finds a Markdown file's fenced blocks; `commands` splits a console or bash block into
its commands (continuation lines joined). A `Plan` says, for each command, how a test runs it: as
written (`RUN`), in the background until a line shows it is ready (`Background`), as an `export`
into the shell's environment (`EXPORT`), or not at all, with the reason (`Skip`): a command no test
can run as written (`make test` inside the suite, a server or worker that never exits) says which
other test covers it. A command the plan does not know fails the test: a new command in the docs
must be classified here.

A `Shell` runs commands with bash in a work folder holding `.venv` (this test run's environment) and
the project's `prefect.yaml`, with the venv's `bin` first on PATH (as an activated environment), and
`mirror`: replacements that put the test's own servers, ports, databases and secrets in place of the
reader's (each replacement must be used, so the docs and the test cannot drift apart silently).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent


@dataclass(frozen=True)
class Block:
    """A fenced block: its language tag, text, and the line of the file it starts on."""

    lang: str
    text: str
    line: int


def fenced_blocks(markdown: str) -> list[Block]:
    """Every fenced block of a Markdown text, in order (indented fences, in lists, included)."""
    blocks = []
    for match in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", markdown, re.S | re.M):
        indent = len(match.group(1))
        text = "\n".join(line[indent:] for line in match.group(3).splitlines())
        blocks.append(Block(match.group(2), text + "\n", markdown.count("\n", 0, match.start()) + 1))
    return blocks


def commands(block: Block) -> list[str]:
    """The commands of a console or bash block: continuation lines joined, blank and comment lines out."""
    joined = re.sub(r"\\\n\s*", "", block.text)
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


@dataclass(frozen=True)
class Skip:
    """Not run here, and why (naming the test that covers it, when one does)."""

    reason: str


@dataclass(frozen=True)
class Background:
    """Started and left running until the shell closes; ready once a line of its output matches."""

    ready: str


RUN = "run"
EXPORT = "export"
Action = Skip | Background | str
Plan = list[tuple[str, Action]]  # (regex a command must match from its start, what to do with it)


def action_for(plan: Plan, command: str) -> Action:
    """What the plan says to do with `command`; fails the test if it does not say."""
    for pattern, action in plan:
        if re.match(pattern, command):
            return action
    raise AssertionError(f"the docs have a command no test knows how to run: {command!r}; add it to the plan")


@dataclass
class Shell:
    """Runs commands as a reader would: see the module docstring."""

    folder: Path
    mirror: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    background: list[tuple[subprocess.Popen[str], list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.folder / ".venv").symlink_to(VENV)
        shutil.copy(REPO / "prefect.yaml", self.folder / "prefect.yaml")
        self.env = dict(os.environ) | self.env
        self.env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"

    def substitute(self, text: str) -> str:
        """`text` with the mirror's replacements (longest first), noting which were used."""
        for old in sorted(self.mirror, key=len, reverse=True):
            if old in text:
                self.used.add(old)
                text = text.replace(old, self.mirror[old])
        return text

    def unused(self) -> set[str]:
        """Replacements the docs never needed: the docs changed, so the mirror must too."""
        return set(self.mirror) - self.used

    def run(self, command: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        """Run one command with bash; fail with its output unless it exits 0."""
        done = subprocess.run(
            ["bash", "-c", self.substitute(command)],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{command}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def export(self, command: str) -> None:
        """Apply `export NAME=VALUE` to the environment of the commands that follow."""
        words = shlex.split(self.substitute(command), comments=True)
        assert words[0] == "export", command
        for assignment in words[1:]:
            name, _, value = assignment.partition("=")
            self.env[name] = value

    def start(self, command: str, ready: str, timeout: float = 60) -> list[str]:
        """Start `command` in the background; return its output lines once one matches `ready`."""
        process = subprocess.Popen(
            ["bash", "-c", f"exec {self.substitute(command)}"],
            cwd=self.folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        self.background.append((process, lines))
        threading.Thread(target=_collect, args=(process, lines), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not any(re.search(ready, line) for line in lines):
            assert process.poll() is None, f"{command} exited: {''.join(lines)}"
            assert time.monotonic() < deadline, f"{command} not ready in {timeout}s: {''.join(lines)}"
            time.sleep(0.2)
        return lines

    def close(self) -> None:
        """Stop what `start` started."""
        for process, _ in self.background:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    for line in process.stdout or ():
        lines.append(line)
