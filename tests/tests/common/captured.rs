//! An in-memory writer for tracing subscribers: what a test's subscriber wrote, as text.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Collects everything a subscriber or layer writes; clones share one buffer.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

thread_local! {
    static THIS_THREAD: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// While alive, the INFO events of this thread are written into a [`Captured`].
pub struct ThreadCapture(());

impl Drop for ThreadCapture {
    fn drop(&mut self) {
        THIS_THREAD.with(|t| t.borrow_mut().take());
    }
}

/// Captures this thread's INFO events (the audit events among them) into `captured`, through
/// one global subscriber that writes each event to the capture of the thread that emitted it.
///
/// Not a thread-local `set_default`: in a test binary whose other tests run without a
/// subscriber, tracing-core caches a callsite's interest from the first thread to reach it
/// while only one dispatcher is registered, so a test's own subscriber can miss every event of
/// a callsite another test's thread reached first.
pub fn capture_this_thread(captured: &Captured) -> ThreadCapture {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(|| ThreadWriter)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
    });
    THIS_THREAD.with(|t| *t.borrow_mut() = Some(captured.clone()));
    ThreadCapture(())
}

/// Writes to the emitting thread's capture, or nowhere.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        THIS_THREAD.with(|t| match t.borrow_mut().as_mut() {
            Some(captured) => captured.write(buf),
            None => Ok(buf.len()),
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
