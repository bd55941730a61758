//! A [`BarReader`] on its own thread, so parsing overlaps the strategy calls.
//!
//! Bars travel in batches of [`BATCH_BARS`] over a bounded channel (a few batches ahead at
//! most, so memory stays flat on any file size); emptied batches go back to the reader to be
//! refilled, so a whole run allocates a handful of buffers. Handing over a batch costs a channel
//! operation per 4,096 bars; taking a bar from the current batch is a bounds check and a copy.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;

use super::reader::BarReader;
use super::{BarError, BarRow, ReadStats};
use crate::instruments::SymbolTable;

/// Bars per batch handed from the reader thread.
pub const BATCH_BARS: usize = 4096;
/// Batches the reader may run ahead of the consumer.
const BATCHES_AHEAD: usize = 4;

enum Message {
    Batch(Vec<BarRow>),
    Done(ReadStats),
    Failed(BarError),
}

/// Bars read on a background thread, as an iterator of `Result<BarRow, BarError>` in file order.
///
/// After the last bar the iterator ends and [`stats`](Self::stats) is available; after an error
/// it ends too. Dropping the feed early stops the thread at its next batch.
#[derive(Debug)]
pub struct BarFeed {
    batches: Receiver<Message>,
    recycle: Sender<Vec<BarRow>>,
    current: Vec<BarRow>,
    next: usize,
    ended: bool,
    stats: Option<ReadStats>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Batch(b) => write!(f, "Batch({} bars)", b.len()),
            Self::Done(s) => write!(f, "Done({s:?})"),
            Self::Failed(e) => write!(f, "Failed({e})"),
        }
    }
}

impl BarFeed {
    /// Opens `path` (here, so that a missing file is reported at once) and reads it on a new
    /// thread.
    ///
    /// # Errors
    ///
    /// [`BarError::Io`] if the file cannot be opened.
    pub fn open(path: &Path, table: SymbolTable) -> Result<Self, BarError> {
        let file = File::open(path)?;
        Ok(Self::spawn(file, table))
    }

    /// Reads `input` on a new thread.
    pub fn spawn<R: Read + Send + 'static>(input: R, table: SymbolTable) -> Self {
        let (batch_tx, batches) = mpsc::sync_channel(BATCHES_AHEAD);
        let (recycle, recycled) = mpsc::channel();
        let reader = BarReader::new(input, table);
        thread::Builder::new()
            .name("bar-reader".into())
            .spawn(move || read_into(reader, &batch_tx, &recycled))
            .map_or_else(
                // No thread: say why through the channel the consumer reads anyway.
                |e| Self::failed(BarError::Io(e)),
                |_detached| Self::receiving(batches, recycle),
            )
    }

    fn failed(error: BarError) -> Self {
        let (tx, batches) = mpsc::sync_channel(1);
        // The receiver is alive: this cannot fail.
        let _ = tx.send(Message::Failed(error));
        let (recycle, _) = mpsc::channel();
        Self::receiving(batches, recycle)
    }

    fn receiving(batches: Receiver<Message>, recycle: Sender<Vec<BarRow>>) -> Self {
        Self {
            batches,
            recycle,
            current: Vec::new(),
            next: 0,
            ended: false,
            stats: None,
        }
    }

    /// What the read went through, once the iterator has ended without error.
    pub fn stats(&self) -> Option<&ReadStats> {
        self.stats.as_ref()
    }

    #[cold]
    fn next_batch(&mut self) -> Option<Result<BarRow, BarError>> {
        loop {
            if self.ended {
                return None;
            }
            let spent = std::mem::take(&mut self.current);
            if spent.capacity() > 0 {
                // The reader may have finished and gone: then there is nobody to reuse it.
                let _ = self.recycle.send(spent);
            }
            match self.batches.recv() {
                Ok(Message::Batch(batch)) => {
                    self.current = batch;
                    self.next = 0;
                    if let Some(&bar) = self.current.first() {
                        self.next = 1;
                        return Some(Ok(bar));
                    }
                }
                Ok(Message::Done(stats)) => {
                    self.ended = true;
                    self.stats = Some(stats);
                    return None;
                }
                Ok(Message::Failed(error)) => {
                    self.ended = true;
                    return Some(Err(error));
                }
                Err(mpsc::RecvError) => {
                    self.ended = true;
                    return Some(Err(BarError::ReaderGone));
                }
            }
        }
    }
}

impl Iterator for BarFeed {
    type Item = Result<BarRow, BarError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(&bar) = self.current.get(self.next) {
            self.next += 1;
            return Some(Ok(bar));
        }
        self.next_batch()
    }
}

/// The reader thread: fill batches until the input ends, fails, or the consumer is gone.
fn read_into<R: Read>(
    mut reader: BarReader<R>,
    batches: &SyncSender<Message>,
    recycled: &Receiver<Vec<BarRow>>,
) {
    loop {
        let mut batch = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH_BARS));
        batch.clear();
        let outcome = reader.read_batch(&mut batch, BATCH_BARS);
        if let Ok(true) = outcome {
            if batches.send(Message::Batch(batch)).is_err() {
                return;
            }
            continue;
        }
        // The last message: deliver the bars read before the end (or before the bad line).
        if !batch.is_empty() && batches.send(Message::Batch(batch)).is_err() {
            return;
        }
        let message = match outcome {
            Ok(_) => Message::Done(reader.stats()),
            Err(error) => Message::Failed(error),
        };
        // If the consumer is gone there is nobody left to tell.
        let _ = batches.send(message);
        return;
    }
}
