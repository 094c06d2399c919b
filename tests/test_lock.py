"""The training lock is the kernel's (flock): exclusive across processes and threads, gone with its holder."""

import os
import subprocess
import sys
import threading

import pytest

from seqtui.errors import RunLocked
from seqtui.store import lock

HOLDER = ("import sys, time; from seqtui.store import lock\n"
          "with lock.hold(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)\n")


def hold_in_child(folder):
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_live_holder_is_refused_by_name_and_its_death_frees_the_folder_at_once(tmp_path):
    child = hold_in_child(tmp_path)
    try:
        assert lock.owner(tmp_path) == child.pid  # a watcher sees who trains
        with pytest.raises(RunLocked, match=f"already being trained by process {child.pid}"), lock.hold(tmp_path):
            pass
    finally:
        child.kill()  # SIGKILL: no cleanup code runs, the kernel drops the lock
        child.wait()
    assert lock.owner(tmp_path) is None
    with lock.hold(tmp_path):  # no stale lock to take over, no pid file to trust
        assert lock.owner(tmp_path) == os.getpid()


def test_another_thread_of_the_same_process_is_refused(tmp_path):
    errors = []
    inside = threading.Event()
    release = threading.Event()

    def first():
        with lock.hold(tmp_path):
            inside.set()
            release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    inside.wait(10)
    try:
        with lock.hold(tmp_path):
            errors.append("the second holder got in")
    except RunLocked:
        pass
    finally:
        release.set()
        t.join()
    assert errors == []


def test_a_reused_pid_in_the_lock_file_does_not_keep_the_folder_busy(tmp_path):
    # The file names a live process (this test's parent) that holds no lock: the folder is free.
    (tmp_path / lock.LOCK_NAME).write_text(f"{os.getppid()}\n")
    assert lock.owner(tmp_path) is None
    with lock.hold(tmp_path):
        assert (tmp_path / lock.LOCK_NAME).read_text().split()[0] == str(os.getpid())


def test_many_contenders_at_once_get_exactly_one_owner(tmp_path):
    wins, contenders = [], 8
    # Whoever gets in holds the lock until every contender has tried: each waits at `tried`, the holder
    # inside the lock and the others after their refusal, so no try can come after the holder let go,
    # however slowly the threads are scheduled. Two holders at once both count as wins.
    tried = threading.Barrier(contenders, timeout=120)
    start = threading.Barrier(contenders, timeout=120)

    def contend():
        start.wait()
        try:
            with lock.hold(tmp_path):
                wins.append(threading.get_ident())
                tried.wait()
        except RunLocked:
            tried.wait()

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
