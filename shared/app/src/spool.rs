//! A window's raw entries as they are read, handed downstream in chunks: a collector's memory is bounded
//! by a chunk, whatever the window holds (six hours of a large Slack grid is 100,000 entries and more, and
//! the collector Lambda has 256 MB). Up to [`CHUNK_ENTRIES`] entries stay in memory; past that, the window
//! spills to an anonymous temporary file (Lambda's `/tmp`), one JSON line per entry, removed when the
//! spool is dropped. A window is still handed downstream only once it is read — the spool changes where
//! it waits, not when it goes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use saaswarden_connectors::input::RawEntry;
use serde_json::Value;

/// Entries handed downstream at a time, and kept in memory before spilling to disk.
pub const CHUNK_ENTRIES: usize = 5_000;

#[derive(Default)]
pub(crate) struct Spool {
    memory: Vec<RawEntry>,
    file: Option<BufWriter<File>>,
    len: usize,
}

impl Spool {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, entries: Vec<RawEntry>) -> io::Result<()> {
        self.len += entries.len();
        if self.file.is_none() && self.memory.len() + entries.len() <= CHUNK_ENTRIES {
            self.memory.extend(entries);
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(BufWriter::new(tempfile::tempfile()?)),
        };
        for entry in self.memory.drain(..).chain(entries) {
            serde_json::to_writer(&mut *file, &(entry.location, entry.value))?;
            file.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Forgets everything read so far (a window read again from its start).
    pub(crate) fn clear(&mut self) -> io::Result<()> {
        self.memory.clear();
        self.len = 0;
        if let Some(file) = &mut self.file {
            file.flush()?;
            file.get_mut().set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
        }
        Ok(())
    }

    /// The entries in the order read, [`CHUNK_ENTRIES`] at a time.
    pub(crate) fn into_chunks(self) -> io::Result<Chunks> {
        let lines = match self.file {
            None => None,
            Some(file) => {
                let mut file = file.into_inner().map_err(|e| e.into_error())?;
                file.seek(SeekFrom::Start(0))?;
                Some(BufReader::new(file).lines())
            }
        };
        Ok(Chunks { memory: Some(self.memory), lines })
    }
}

/// The spooled entries, a chunk at a time.
pub(crate) struct Chunks {
    memory: Option<Vec<RawEntry>>,
    lines: Option<io::Lines<BufReader<File>>>,
}

impl Iterator for Chunks {
    type Item = io::Result<Vec<RawEntry>>;

    fn next(&mut self) -> Option<Self::Item> {
        let Some(lines) = &mut self.lines else {
            return self.memory.take().filter(|entries| !entries.is_empty()).map(Ok);
        };
        let mut chunk = Vec::new();
        for line in lines.by_ref().take(CHUNK_ENTRIES) {
            let decoded = line.and_then(|line| {
                serde_json::from_str::<(String, Value)>(&line)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
            });
            match decoded {
                Ok((location, value)) => chunk.push(RawEntry { location, value }),
                Err(error) => return Some(Err(error)),
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(from: usize, count: usize) -> Vec<RawEntry> {
        (from..from + count)
            .map(|i| RawEntry { location: format!("page: entries[{i}]"), value: serde_json::json!({ "id": i }) })
            .collect()
    }

    fn read_back(spool: Spool) -> Vec<Vec<RawEntry>> {
        spool.into_chunks().expect("chunks").map(|chunk| chunk.expect("a chunk")).collect()
    }

    #[test]
    fn a_small_window_stays_in_memory_as_one_chunk() {
        let mut spool = Spool::default();
        spool.push(entries(0, 10)).expect("push");
        assert!(spool.file.is_none());
        assert_eq!(read_back(spool), [entries(0, 10)]);
    }

    #[test]
    fn a_large_window_spills_to_disk_and_comes_back_in_order_a_chunk_at_a_time() {
        let mut spool = Spool::default();
        for page in 0..12 {
            spool.push(entries(page * 1_000, 1_000)).expect("push");
        }
        assert_eq!(spool.len(), 12_000);
        assert!(spool.file.is_some() && spool.memory.is_empty());
        let chunks = read_back(spool);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [CHUNK_ENTRIES, CHUNK_ENTRIES, 2_000]);
        assert_eq!(chunks.concat(), entries(0, 12_000));
    }

    #[test]
    fn clearing_forgets_what_was_spooled() {
        let mut spool = Spool::default();
        spool.push(entries(0, CHUNK_ENTRIES + 1)).expect("push");
        spool.clear().expect("clear");
        spool.push(entries(7, 2)).expect("push");
        assert_eq!(spool.len(), 2);
        assert_eq!(read_back(spool).concat(), entries(7, 2));
    }
}
