"""The run folder of `kgen train`: written as `.DIR.partial`, renamed to `DIR` when complete.

While training, the run lives in `.DIR.partial` beside `--out DIR`, with the
checkpoint of `AtomicBackupAndRestore` in `backup/` and the arguments in
`arguments.json`. A killed run leaves it behind; the same command resumes
from its checkpoint (`open_partial`). A finished run is renamed to `DIR`
in one step (`finish`), so `DIR` is either absent or a whole run. A run that
fails before its first checkpoint leaves nothing, not even the parents of
`DIR` it created (`clean_up_after`).
"""

import json
import os
import pathlib
import shutil
import sys
import tempfile

BACKUP = "backup"
_ARGUMENTS = "arguments.json"
# Arguments that may differ between a killed run and the one resuming it.
_RESUMABLE_CHANGES = ("verbose", "overwrite")


def make_parents(folder):
    """Creates `folder` and its missing parents; returns those created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    missing.reverse()
    for path in missing:
        path.mkdir()
    return missing


def open_partial(out, args, suffix=""):
    """Returns `.DIR.partial` for `--out DIR`: resumed if it holds a checkpoint of the same run.

    A leftover folder without a checkpoint, or from a run with other
    arguments, is deleted (with a note on stderr when it had a checkpoint)
    and training starts from scratch. `suffix` names a non-chief worker's
    own folder.
    """
    from kgen.checkpointing import read_metadata

    partial = out.parent / f".{out.name}.partial{suffix}"
    arguments = {k: v for k, v in vars(args).items() if k not in _RESUMABLE_CHANGES}
    if partial.is_dir():
        try:
            previous = json.loads((partial / _ARGUMENTS).read_text())
        except (OSError, ValueError):
            previous = None
        checkpoint = read_metadata(partial / BACKUP)
        if checkpoint is not None and previous == arguments:
            print(
                f"kgen train: resuming from the checkpoint after epoch {checkpoint['epoch']} "
                f"in {partial / BACKUP}",
                file=sys.stderr,
            )
            return partial
        if checkpoint is not None:
            print(
                f"kgen train: discarding the checkpoint in {partial / BACKUP}: it was written "
                "by a run with other arguments",
                file=sys.stderr,
            )
        shutil.rmtree(partial)
    elif partial.exists():
        partial.unlink()
    partial.mkdir()
    (partial / _ARGUMENTS).write_text(json.dumps(arguments, indent=2, sort_keys=True) + "\n")
    return partial


def finish(partial, out=None):
    """Drops the checkpoint and arguments; renames `partial` to `out`, or deletes it if `out` is None."""
    shutil.rmtree(partial / BACKUP, ignore_errors=True)
    (partial / _ARGUMENTS).unlink(missing_ok=True)
    if out is None:
        shutil.rmtree(partial, ignore_errors=True)
    else:
        _replace_dir(partial, out)


def clean_up_after(partial, created, keep_checkpoint=True):
    """After a failed run: keeps `partial` if it holds a checkpoint to resume, else deletes it.

    Deleted with it are the parents of `DIR` that the run `created` (if
    empty). `keep_checkpoint=False` (a usage error) deletes in any case.
    """
    from kgen.checkpointing import read_metadata

    checkpoint = read_metadata(partial / BACKUP)
    if checkpoint is None or not keep_checkpoint:
        shutil.rmtree(partial, ignore_errors=True)
        remove_created(created)
    else:
        print(
            f"kgen train: stopped; the checkpoint after epoch {checkpoint['epoch']} is kept "
            f"in {partial / BACKUP}: run the same command again to resume from it",
            file=sys.stderr,
        )


def remove_created(created):
    """Removes the folders `make_parents` created, innermost first, those that are empty."""
    for folder in reversed(created):
        _remove_if_empty(folder)


def _remove_if_empty(folder):
    try:
        folder.rmdir()
    except OSError:
        pass


def _replace_dir(source, target):
    """Renames `source` to `target`; an existing `target` is moved aside, then deleted."""
    if not target.exists():
        os.replace(source, target)
        return
    old = pathlib.Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, old / target.name)
    try:
        os.replace(source, target)
    except BaseException:
        os.replace(old / target.name, target)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
