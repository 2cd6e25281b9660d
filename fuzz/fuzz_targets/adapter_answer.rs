//! One line of an adapter harness's stdout → `read_answer_line`, exactly what
//! `AdapterProcess::call` does with each line it reads: blank lines, JSON, the id (the
//! request's, an abandoned one's, another), the outcome, values and message.
//!
//! Input: the first byte picks the id of the request being answered (so answers to the wrong
//! or an abandoned request are reached too); the rest is the line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poscert_engine::run::operator::adapter::process::read_answer_line;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let Some((&id, line)) = data.split_first() else {
        return;
    };
    // Requests 1 and 2 timed out earlier; their late answers are passed over.
    let abandoned: HashSet<u64> = [1, 2].into_iter().collect();
    let id = u64::from(id % 8) + 1;
    match read_answer_line(line, id, "start-payment", &abandoned) {
        Ok(Some(answer)) => {
            std::hint::black_box(answer);
        }
        Ok(None) => {}
        Err(reason) => {
            std::hint::black_box(reason);
        }
    }
});
