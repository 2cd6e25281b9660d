//! The harness as a child process: starting it in its own process group, one JSON request line
//! out and one answer line back per action, its stderr tail kept as evidence, and stopping it
//! (stdin closed, killed after [`GRACE_PERIOD`]). What an action means is in [`super`].

use serde_json::{json, Map, Value};
use std::collections::{HashSet, VecDeque};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a harness may take to exit after its stdin is closed before it is killed.
pub const GRACE_PERIOD: Duration = Duration::from_secs(2);
/// How many of the harness's last stderr lines are kept as failure evidence.
pub const STDERR_TAIL_LINES: usize = 40;
/// Longer stderr lines are cut: evidence should stay readable.
const STDERR_LINE_CHARS: usize = 500;
/// How much of an offending stdout line a failure message quotes.
const QUOTE_CHARS: usize = 200;
/// After stdout closes, how long to wait for the exit status that explains it.
const EXIT_STATUS_WAIT: Duration = Duration::from_secs(1);

/// What the stdout reader task hands over: one line (without its newline), or the end.
enum StdoutEvent {
    Line(Vec<u8>),
    /// Reading failed (not end of file): the pipe broke.
    Error(String),
}

/// One harness process, started at a case's first cashier action and stopped when it ends.
pub struct AdapterProcess {
    command: String,
    child: Child,
    /// The process group the harness leads: stopping it ends whatever it started too.
    pgid: Option<i32>,
    stdin: Option<ChildStdin>,
    stdout: mpsc::Receiver<StdoutEvent>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_task: Option<JoinHandle<()>>,
    next_id: u64,
    /// Requests given up on (timed out, interrupted): their late answers are skipped.
    abandoned: HashSet<u64>,
    /// Set once the harness exited or broke the protocol: later actions fail with it at once.
    broken: Option<String>,
    stopped: bool,
}

impl std::fmt::Debug for AdapterProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdapterProcess")
            .field("command", &self.command)
            .field("pid", &self.child.id())
            .field("broken", &self.broken)
            .finish()
    }
}

/// A harness's answer to one request.
#[derive(Debug)]
pub struct Answer {
    pub outcome: Outcome,
    pub values: Map<String, Value>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed,
    Skipped,
}

/// Why a request got no usable answer.
#[derive(Debug)]
pub enum CallError {
    /// The harness stayed silent past the step's timeout.
    Timeout(String),
    /// Ctrl-C while waiting.
    Interrupted,
    /// The harness exited, wrote garbage, answered another id...
    Broken(String),
}

impl AdapterProcess {
    /// Starts `command` through the shell (so integrators can write `FOO=1 ./harness --flag`),
    /// in a process group of its own: Ctrl-C at the terminal reaches the engine only, which
    /// still needs the harness for the case's `finally` steps, and stopping the group also
    /// stops whatever the harness started.
    pub fn start(command: &str) -> Result<AdapterProcess, String> {
        let mut cmd = shell_command(command);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the adapter `{command}`: {e}"))?;
        let pgid = child.id().and_then(|id| i32::try_from(id).ok());
        if let Some(g) = pgid {
            live_groups().insert(g);
        }
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel(64);
        if let Some(out) = child.stdout.take() {
            tokio::spawn(read_stdout(out, tx));
        }
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_task = child
            .stderr
            .take()
            .map(|err| tokio::spawn(read_stderr(err, stderr_tail.clone())));
        Ok(AdapterProcess {
            command: command.to_string(),
            child,
            pgid,
            stdin,
            stdout: rx,
            stderr_tail,
            stderr_task,
            next_id: 0,
            abandoned: HashSet::new(),
            broken: None,
            stopped: false,
        })
    }

    /// Sends one request and waits for the answer with the same id.
    pub async fn call(
        &mut self,
        action: &str,
        mut request: Map<String, Value>,
        timeout: Duration,
        cancel: Option<&crate::run::Cancellation>,
    ) -> Result<Answer, CallError> {
        if let Some(reason) = &self.broken {
            return Err(CallError::Broken(format!(
                "the adapter cannot perform {action}: {reason}"
            )));
        }
        self.next_id += 1;
        let id = self.next_id;
        let mut line = {
            let mut ordered = Map::new();
            ordered.insert("id".into(), json!(id));
            ordered.append(&mut request);
            Value::Object(ordered).to_string()
        };
        line.push('\n');
        let deadline = tokio::time::Instant::now() + timeout;
        let within = format_timeout(timeout);

        // Writing can block too: a harness that never reads fills the pipe.
        let write = async {
            match self.stdin.as_mut() {
                Some(stdin) => {
                    stdin.write_all(line.as_bytes()).await?;
                    stdin.flush().await
                }
                None => Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
            }
        };
        let written = tokio::select! {
            r = write => Some(r),
            _ = tokio::time::sleep_until(deadline) => None,
            _ = wait_cancel(cancel) => {
                self.abandoned.insert(id);
                return Err(CallError::Interrupted);
            }
        };
        match written {
            None => {
                self.abandoned.insert(id);
                return Err(CallError::Timeout(format!(
                    "the adapter did not read the {action} request within {within} (its stdin is full)"
                )));
            }
            Some(Err(_)) => {
                let why = self.why_gone(action).await;
                return Err(self.break_with(why));
            }
            Some(Ok(())) => {}
        }

        loop {
            let event = tokio::select! {
                ev = self.stdout.recv() => ev,
                _ = tokio::time::sleep_until(deadline) => {
                    self.abandoned.insert(id);
                    return Err(CallError::Timeout(format!(
                        "the adapter did not answer {action} within {within}"
                    )));
                }
                _ = wait_cancel(cancel) => {
                    self.abandoned.insert(id);
                    return Err(CallError::Interrupted);
                }
            };
            let bytes = match event {
                Some(StdoutEvent::Line(bytes)) => bytes,
                Some(StdoutEvent::Error(e)) => {
                    return Err(self.break_with(format!(
                        "the adapter's output broke before it answered {action}: {e}"
                    )))
                }
                None => {
                    let why = self.why_gone(action).await;
                    return Err(self.break_with(why));
                }
            };
            match read_answer_line(&bytes, id, action, &self.abandoned) {
                Ok(Some(answer)) => return Ok(answer),
                Ok(None) => continue,
                Err(reason) => return Err(self.break_with(reason)),
            }
        }
    }

    fn break_with(&mut self, reason: String) -> CallError {
        self.broken = Some(reason.clone());
        CallError::Broken(reason)
    }

    /// Stdout closed or stdin broke: say how the harness ended, if it did.
    async fn why_gone(&mut self, action: &str) -> String {
        match tokio::time::timeout(EXIT_STATUS_WAIT, self.child.wait()).await {
            Ok(Ok(status)) => format!(
                "the adapter {} before answering {action}",
                describe_exit(status)
            ),
            _ => format!("the adapter closed its stdout before answering {action}"),
        }
    }

    /// Closes stdin, waits [`GRACE_PERIOD`], then kills the harness and everything it started.
    /// Returns the last lines the harness wrote to stderr (the sinks redact them).
    pub async fn shutdown(mut self) -> String {
        drop(self.stdin.take());
        let mut note = None;
        match tokio::time::timeout(GRACE_PERIOD, self.child.wait()).await {
            Ok(Ok(_)) => {}
            _ => {
                note = Some(format!(
                    "(the adapter did not exit within {} of its stdin closing; poscert killed it)",
                    format_timeout(GRACE_PERIOD)
                ));
                let _ = self.child.start_kill();
                let _ = tokio::time::timeout(EXIT_STATUS_WAIT, self.child.wait()).await;
            }
        }
        // Whatever the harness left running in its group (a shell's children, helpers).
        self.kill_group();
        self.stopped = true;
        if let Some(task) = self.stderr_task.take() {
            // The group is gone, so the pipe closes and the reader ends; don't wait forever
            // on a grandchild that escaped the group and kept the pipe.
            let _ = tokio::time::timeout(EXIT_STATUS_WAIT, task).await;
        }
        let mut lines: Vec<String> = match self.stderr_tail.lock() {
            Ok(g) => g.iter().cloned().collect(),
            Err(p) => p.into_inner().iter().cloned().collect(),
        };
        lines.extend(note);
        lines.join("\n")
    }

    fn kill_group(&self) {
        if let Some(pgid) = self.pgid {
            live_groups().remove(&pgid);
        }
        #[cfg(unix)]
        if let Some(pgid) = self.pgid.filter(|p| *p > 0) {
            unix::kill_process_group(pgid);
        }
    }
}

/// Process groups of harnesses still running, so a hard exit (a second Ctrl-C, which skips
/// every destructor) can still stop them all.
fn live_groups() -> std::sync::MutexGuard<'static, HashSet<i32>> {
    static GROUPS: std::sync::OnceLock<std::sync::Mutex<HashSet<i32>>> = std::sync::OnceLock::new();
    let m = GROUPS.get_or_init(Default::default);
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Kills every harness still running. For the moment before `process::exit`.
pub fn kill_all_now() {
    let groups: Vec<i32> = live_groups().drain().collect();
    #[cfg(unix)]
    for pgid in groups.into_iter().filter(|p| *p > 0) {
        unix::kill_process_group(pgid);
    }
    #[cfg(not(unix))]
    drop(groups);
}

impl Drop for AdapterProcess {
    /// A backstop for a case that ended without `shutdown` (its task aborted): nothing of the
    /// harness may outlive the run. `kill_on_drop` covers the harness itself; this its group.
    fn drop(&mut self) {
        if !self.stopped {
            self.kill_group();
        }
    }
}

#[cfg(unix)]
mod unix {
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGKILL: i32 = 9;

    /// `kill(-pgid, SIGKILL)`: std has no process-group API, and one syscall does not justify
    /// a dependency. A group that is already empty makes this a harmless ESRCH.
    pub fn kill_process_group(pgid: i32) {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            kill(-pgid, SIGKILL);
        }
    }
}

fn shell_command(command: &str) -> Command {
    #[cfg(unix)]
    {
        let mut c = Command::new("sh");
        c.arg("-c").arg(command);
        c
    }
    #[cfg(not(unix))]
    {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(command);
        c
    }
}

async fn read_stdout(out: tokio::process::ChildStdout, tx: mpsc::Sender<StdoutEvent>) {
    let mut reader = BufReader::new(out);
    loop {
        let mut buf = Vec::new();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return, // end of file: dropping `tx` tells the caller
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                if tx.send(StdoutEvent::Line(buf)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(StdoutEvent::Error(e.to_string())).await;
                return;
            }
        }
    }
}

/// Drains stderr continuously (a full pipe would stall the harness) and keeps the tail.
async fn read_stderr(err: tokio::process::ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut reader = BufReader::new(err);
    loop {
        let mut buf = Vec::new();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                let text = text.trim_end_matches(['\n', '\r']);
                let line: String = if text.chars().count() > STDERR_LINE_CHARS {
                    text.chars()
                        .take(STDERR_LINE_CHARS)
                        .chain("…".chars())
                        .collect()
                } else {
                    text.to_string()
                };
                let mut guard = match tail.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                guard.push_back(line);
                while guard.len() > STDERR_TAIL_LINES {
                    guard.pop_front();
                }
            }
        }
    }
}

async fn wait_cancel(cancel: Option<&crate::run::Cancellation>) {
    match cancel {
        Some(c) => c.cancelled().await,
        None => std::future::pending().await,
    }
}

/// What one line of the harness's stdout (as read: without its line ending) means to request
/// `id` of `action`: its answer, `None` for a line to pass over (blank, or a late answer to a
/// request in `abandoned`, one that already timed out), or why the harness is broken. Public
/// so the protocol parser can be fuzzed exactly as [`AdapterProcess::call`] uses it.
pub fn read_answer_line(
    bytes: &[u8],
    id: u64,
    action: &str,
    abandoned: &HashSet<u64>,
) -> Result<Option<Answer>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None); // blank lines carry nothing; tolerate them
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| {
        format!(
            "the adapter wrote a line that is not JSON: {} (stdout is for answers only; write logs to stderr)",
            quote(bytes)
        )
    })?;
    let Some(got) = value.get("id").and_then(Value::as_u64) else {
        return Err(format!(
            "the adapter wrote a line without a numeric `id`: {} (every answer repeats its request's id)",
            quote(bytes)
        ));
    };
    if got != id {
        if abandoned.contains(&got) {
            return Ok(None); // a late answer to a request that already timed out
        }
        return Err(format!(
            "the adapter answered id {got} to request {id} ({action})"
        ));
    }
    parse_answer(&value, id, action).map(Some)
}

fn parse_answer(value: &Value, id: u64, action: &str) -> Result<Answer, String> {
    let outcome = match value.get("outcome").and_then(Value::as_str) {
        Some("done") => Outcome::Done,
        Some("failed") => Outcome::Failed,
        Some("skipped") => Outcome::Skipped,
        other => {
            return Err(format!(
                "the adapter answered request {id} ({action}) with outcome {}; expected \"done\", \"failed\" or \"skipped\"",
                other
                    .map(|o| format!("\"{o}\""))
                    .unwrap_or_else(|| "missing".into())
            ))
        }
    };
    let values = match value.get("values") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            return Err(format!(
                "the adapter answered request {id} ({action}) with `values` that is not an object: {other}"
            ))
        }
    };
    let message = match value.get("message") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    Ok(Answer {
        outcome,
        values,
        message,
    })
}

fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("was killed by signal {sig}");
        }
    }
    "exited".into()
}

/// `2m`, `90s`, `1.5s`, `500ms`: how the timeout would be written in a case.
fn format_timeout(d: Duration) -> String {
    let ms = d.as_millis();
    let minutes = ms / 60_000;
    if minutes > 0 && minutes * 60_000 == ms {
        format!("{minutes}m")
    } else {
        crate::scenario::duration::format_duration(d)
    }
}

fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let cut: String = text.chars().take(QUOTE_CHARS).collect();
    if cut.len() < text.len() {
        format!("`{cut}…`")
    } else {
        format!("`{cut}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_read_as_written() {
        assert_eq!(format_timeout(Duration::from_secs(120)), "2m");
        assert_eq!(format_timeout(Duration::from_secs(90)), "90s");
        assert_eq!(format_timeout(Duration::from_millis(500)), "500ms");
    }

    #[test]
    fn answers_need_a_known_outcome_and_object_values() {
        let ok = parse_answer(
            &json!({"id": 1, "outcome": "done", "values": {"paymentId": "p"}}),
            1,
            "start-payment",
        )
        .unwrap();
        assert_eq!(ok.outcome, Outcome::Done);
        assert_eq!(ok.values["paymentId"], "p");
        let bad = parse_answer(&json!({"id": 1, "outcome": "ok"}), 1, "start-payment").unwrap_err();
        assert!(bad.contains("outcome \"ok\""), "{bad}");
        let bad = parse_answer(
            &json!({"id": 1, "outcome": "done", "values": [1]}),
            1,
            "start-payment",
        )
        .unwrap_err();
        assert!(bad.contains("not an object"), "{bad}");
    }
}
