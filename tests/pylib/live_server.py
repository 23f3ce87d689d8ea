"""collectionsd as a child process for Python tests: started on 127.0.0.1:0,
ready once it logs "serving" (whose "listen" field is the bound address)."""

import json
import queue
import subprocess
import threading


class Daemon:
    """collectionsd as a child process; stderr lines are collected by a thread."""

    def __init__(self, binary, args, timeout=30.0):
        self.lines = queue.Queue()
        self.log = []
        self.proc = subprocess.Popen([binary] + args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        threading.Thread(target=self._drain, daemon=True).start()
        self.target = None
        while self.target is None:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                self.stop()
                raise RuntimeError("collectionsd did not log 'serving':\n" + "".join(self.log))
            if line is None:
                raise RuntimeError("collectionsd exited early (code %s):\n%s"
                                   % (self.proc.wait(), "".join(self.log)))
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("msg") == "serving":
                self.target = rec["listen"]

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()
