//! Analysis off the UI thread: one named worker, requests and results over `mpsc`, a
//! generation number per experiment so stale results are dropped, and a repaint request
//! when a result is ready. An inline mode runs the analysis on the calling thread (tests).

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::analysis::{Analysis, Experiment, analyze};

/// A request: analyse this experiment (document `doc`, state `generation`).
struct Request {
    doc: u64,
    generation: u64,
    experiment: Experiment,
    repaint: Option<egui::Context>,
}

/// A finished analysis.
#[derive(Debug)]
pub struct Done {
    /// The document it belongs to.
    pub doc: u64,
    /// The document state it was computed from.
    pub generation: u64,
    /// The analysis, or why it failed.
    pub result: Result<Analysis, String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// The analysis runner.
pub struct Jobs {
    sender: Option<Sender<Request>>,
    receiver: Option<Receiver<Done>>,
    inline_done: VecDeque<Done>,
    in_flight: usize,
    repaint: Option<egui::Context>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("worker", &self.sender.is_some())
            .field("in_flight", &self.in_flight)
            .finish()
    }
}

/// Runs the analysis, turning an error or a panic in the core into a message.
fn run(experiment: &Experiment) -> Result<Analysis, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyze(experiment))) {
        Ok(Ok(analysis)) => Ok(analysis),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the analysis stopped on an internal error (please report this file)".into()),
    }
}

impl Jobs {
    /// A runner with a worker thread named `analysis-worker`; falls back to inline when the
    /// thread cannot be started.
    #[must_use]
    pub fn with_worker() -> Self {
        let (request_tx, request_rx) = mpsc::channel::<Request>();
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let spawned = std::thread::Builder::new()
            .name("analysis-worker".into())
            .spawn(move || worker(&request_rx, &done_tx));
        match spawned {
            Ok(_) => Self {
                sender: Some(request_tx),
                receiver: Some(done_rx),
                inline_done: VecDeque::new(),
                in_flight: 0,
                repaint: None,
            },
            Err(e) => {
                log::warn!("cannot start the analysis worker ({e}); analysing on the UI thread");
                Self::inline()
            }
        }
    }

    /// A runner that analyses on the calling thread.
    #[must_use]
    pub fn inline() -> Self {
        Self {
            sender: None,
            receiver: None,
            inline_done: VecDeque::new(),
            in_flight: 0,
            repaint: None,
        }
    }

    /// The context to wake when a result arrives.
    pub fn set_repaint(&mut self, ctx: &egui::Context) {
        if self.repaint.is_none() {
            self.repaint = Some(ctx.clone());
        }
    }

    /// Queues an analysis.
    pub fn submit(&mut self, doc: u64, generation: u64, experiment: Experiment) {
        let mut experiment = experiment;
        if let Some(sender) = &self.sender {
            let request = Request {
                doc,
                generation,
                experiment,
                repaint: self.repaint.clone(),
            };
            match sender.send(request) {
                Ok(()) => {
                    self.in_flight += 1;
                    return;
                }
                Err(mpsc::SendError(request)) => {
                    // The worker is gone: analyse here from now on.
                    experiment = request.experiment;
                    self.sender = None;
                    self.receiver = None;
                    self.in_flight = 0;
                }
            }
        }
        let start = Instant::now();
        let result = run(&experiment);
        self.inline_done.push_back(Done {
            doc,
            generation,
            result,
            elapsed: start.elapsed(),
        });
    }

    /// A finished analysis, if any.
    pub fn try_recv(&mut self) -> Option<Done> {
        if let Some(done) = self.inline_done.pop_front() {
            return Some(done);
        }
        let done = self.receiver.as_ref()?.try_recv().ok()?;
        self.in_flight = self.in_flight.saturating_sub(1);
        Some(done)
    }

    /// Whether analyses are still running.
    #[must_use]
    pub fn busy(&self) -> bool {
        self.in_flight > 0 || !self.inline_done.is_empty()
    }
}

fn worker(requests: &Receiver<Request>, done: &Sender<Done>) {
    while let Ok(first) = requests.recv() {
        // Coalesce: when several requests for one document are queued, only the newest
        // is analysed; the older ones are answered as skipped so the count stays right.
        let mut batch = vec![first];
        while let Ok(next) = requests.try_recv() {
            batch.push(next);
        }
        let mut newest: Vec<Request> = Vec::new();
        for request in batch {
            if let Some(slot) = newest.iter_mut().find(|r| r.doc == request.doc) {
                let old = std::mem::replace(slot, request);
                let _ = done.send(Done {
                    doc: old.doc,
                    generation: old.generation,
                    result: Err("superseded".into()),
                    elapsed: Duration::ZERO,
                });
            } else {
                newest.push(request);
            }
        }
        for request in newest {
            let start = Instant::now();
            let result = run(&request.experiment);
            let sent = done.send(Done {
                doc: request.doc,
                generation: request.generation,
                result,
                elapsed: start.elapsed(),
            });
            if let Some(ctx) = &request.repaint {
                ctx.request_repaint();
            }
            if sent.is_err() {
                return;
            }
        }
    }
}
