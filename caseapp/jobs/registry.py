"""The kinds of background job. A feature adds its own kind by registering it here (at app start, from its own
package): the jobs package never imports the features whose work it runs.

    from caseapp.jobs.registry import JobKind, register

    register(JobKind("export-data", run_export, _l("Full export"), may_ask=can_export_all_data))

`run(job_run)` does the work in the worker, with an app context and its own database session; it reports
progress with `job_run.progress(done, total)` (or hands `job_run.progress_bar` to code that takes tqdm-like
bars), attaches a file with `job_run.attach_file(name, content)`, and returns the job's result (a small
JSON-able dict, or None). An exception fails the job with its message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caseapp.auth.models import User
    from caseapp.jobs.models import Job
    from caseapp.jobs.services import JobRun


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[JobRun], dict[str, Any] | None]
    #: what the jobs page calls it (a lazy string)
    label: Any
    #: who may ask for it, and see and download what it produced (asked again at each look: a user who lost
    #: the role no longer gets the file)
    may_ask: Callable[[User], bool]
    #: may run again from the start when its worker died half-way: work that is all or nothing (an import)
    #: or only reads (an export, a rebuild). Otherwise such a job is failed, saying so.
    rerun_after_crash: bool = True
    #: called (in the worker, once per job) when its worker was found dead, before the job is queued again or
    #: failed: e.g. the import removes the rows of a batch that died half-way
    recover: Callable[[dict[str, Any]], None] | None = None
    #: the params' label on the jobs page, e.g. the upload's file names (None: the kind's label alone)
    describe: Callable[[dict[str, Any]], str] | None = None
    #: where its owner goes on from a finished job (e.g. the import's preview), when it has no file: a URL or None
    next_url: Callable[[Job], str | None] | None = None


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Add a kind (once per name; registering the same name again replaces it, as a reloaded app does)."""
    KINDS[kind.name] = kind
    return kind


def job_kind(name: str) -> JobKind | None:
    return KINDS.get(name)
