//! The embedded emulator's journal low-water mark: which journal entries no running case can
//! still need, so a long run can release them (`DELETE /_emulator/journal?before=`).

use std::sync::atomic::Ordering;

/// What the engine knows of the embedded emulator's journal numbering: the number the next
/// request would get (learned from each release's answer, so never ahead of the truth), and
/// that number as it was when each running case started. No running case's entries are older
/// than the lowest of those (a case's requests are numbered after it starts), so the entries
/// before it belong to finished cases, or to none (token requests, GET /stores): a journal
/// judgement reads its own case's entries (it filters on the ids its case created), never those.
#[derive(Debug, Default)]
pub struct JournalMarks {
    next_seq: std::sync::atomic::AtomicU64,
    /// The marks of the running cases (a mark may be shared: how many cases hold it).
    running: std::sync::Mutex<std::collections::BTreeMap<u64, usize>>,
}

impl JournalMarks {
    /// A case starts: its mark, held until the guard is dropped (when the case ends, even by a
    /// panic, so a crashed case cannot hold the mark down for the rest of the run).
    pub fn start(&self) -> MarkGuard<'_> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let mark = self.next_seq.load(Ordering::SeqCst);
        *running.entry(mark).or_default() += 1;
        MarkGuard { marks: self, mark }
    }

    fn finish(&self, mark: u64) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = running.get_mut(&mark) {
            *n -= 1;
            if *n == 0 {
                running.remove(&mark);
            }
        }
    }

    /// The emulator said its next request number is `next`.
    pub fn learned(&self, next: u64) {
        self.next_seq.fetch_max(next, Ordering::SeqCst);
    }

    /// Entries numbered below this belong to no running case (0: none known yet).
    pub fn low_water(&self) -> u64 {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running
            .keys()
            .next()
            .copied()
            .unwrap_or_else(|| self.next_seq.load(Ordering::SeqCst))
    }
}

/// A running case's journal mark (see [`JournalMarks::start`]).
pub struct MarkGuard<'a> {
    marks: &'a JournalMarks,
    mark: u64,
}

impl Drop for MarkGuard<'_> {
    fn drop(&mut self) {
        self.marks.finish(self.mark);
    }
}

#[cfg(test)]
mod tests {
    use super::JournalMarks;

    /// Entries below the mark of the oldest running case belong to no running case; what the
    /// engine learns never moves a running case's mark, and never goes back.
    #[test]
    fn the_low_water_mark_is_the_oldest_running_cases_mark() {
        let marks = JournalMarks::default();
        assert_eq!(marks.low_water(), 0);
        let first = marks.start();
        marks.learned(10);
        let second = marks.start();
        let twin = marks.start();
        assert_eq!(marks.low_water(), 0);
        drop(first);
        assert_eq!(marks.low_water(), 10);
        marks.learned(5);
        marks.learned(20);
        drop(second);
        assert_eq!(marks.low_water(), 10, "another case still holds mark 10");
        drop(twin);
        assert_eq!(marks.low_water(), 20);
    }
}
