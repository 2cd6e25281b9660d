//! Whether processes a test started (or a harness recorded) are still running.

use std::path::Path;
use std::process::{Command, Stdio};

/// Is a process with this id still running? A zombie (exited, not yet reaped by whoever
/// inherited it) counts as gone: it runs nothing. Linux reads `/proc`; elsewhere `kill -0`.
pub fn alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    if proc_root.join("self").exists() {
        let Ok(stat) = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")) else {
            return false;
        };
        // `pid (comm) S ...`: the state follows the last `)` (comm may contain spaces).
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        return !matches!(state, Some('Z') | Some('X') | None);
    }
    Command::new("kill")
        .arg("-0")
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The process ids a test harness recorded, one file per process in `dir`.
pub fn recorded_pids(dir: &Path) -> Vec<u32> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}
