//! The live tail of a PostgreSQL store: `LISTEN` on a connection of its own, on a thread of its
//! own. Each notification carries only `INCIDENT:SEQ`; readers then read everything after the
//! last entry they have. When the connection is lost (the database restarted, the network cut),
//! it connects and listens again and reports [`Wake::Resync`], since what was announced
//! meanwhile is not delivered to anyone.

use super::{CHANNEL, STEP_TIMEOUT, Target, describe};
use crate::journal::JournalError;
use crate::journal::watch::{Wake, Watch, parse_payload};
use std::sync::mpsc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// How often a quiet subscription asks the server whether it is still there: a database that
/// stops answering, rather than closing the connection, is noticed within this and a step.
const PROBE_EVERY: Duration = Duration::from_secs(5);
/// The longest wait between two attempts to listen again.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A subscription to every entry committed to one database.
pub struct PgWatch {
    shown: String,
    rx: mpsc::Receiver<Result<Wake, String>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for PgWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgWatch({})", self.shown)
    }
}

impl PgWatch {
    pub(super) fn start(target: Target) -> Result<PgWatch, JournalError> {
        let shown = target.shown().to_string();
        let (tx, rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("warroom-listen".into())
            .spawn(move || run(target, tx, stopped))
            .map_err(|e| JournalError::Store(format!("{shown}: cannot listen: {e}")))?;
        Ok(PgWatch {
            shown,
            rx,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Watch for PgWatch {
    fn next(&mut self, timeout: Duration) -> Result<Option<Wake>, JournalError> {
        match self.rx.recv_timeout(timeout) {
            Ok(Ok(wake)) => Ok(Some(wake)),
            Ok(Err(why)) => Err(JournalError::Store(format!(
                "{}: not listening for new entries: {why}",
                self.shown
            ))),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(JournalError::Store(format!(
                "{}: the subscription to new entries ended",
                self.shown
            ))),
        }
    }
}

impl Drop for PgWatch {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Sink = mpsc::Sender<Result<Wake, String>>;

/// Listens, and listens again whenever the session is lost, until told to stop.
fn run(target: Target, tx: Sink, stop: tokio::sync::oneshot::Receiver<()>) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = tx.send(Err(format!("cannot start the listener's runtime: {e}")));
            return;
        }
    };
    rt.block_on(async move {
        tokio::pin!(stop);
        let mut backoff = Duration::from_millis(100);
        loop {
            let why = tokio::select! {
                _ = &mut stop => return,
                why = listen(&target, &tx, &mut backoff) => why,
            };
            let Some(why) = why else { return };
            if tx.send(Err(target.redact(&why))).is_err() {
                return;
            }
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    });
}

/// One session: connect, `LISTEN`, report. Returns why it ended (`None`: nobody listens to
/// this watch any more).
async fn listen(target: &Target, tx: &Sink, backoff: &mut Duration) -> Option<String> {
    let connect = async {
        match &target.tls {
            None => match target.config.connect(tokio_postgres::NoTls).await {
                Ok((client, conn)) => Ok(session(client, conn, tx, backoff).await),
                Err(e) => Err(e),
            },
            Some(tls) => match target.config.connect(tls.clone()).await {
                Ok((client, conn)) => Ok(session(client, conn, tx, backoff).await),
                Err(e) => Err(e),
            },
        }
    };
    match connect.await {
        Ok(ended) => ended,
        Err(e) => Some(describe(&e)),
    }
}

async fn session<S, T>(
    client: tokio_postgres::Client,
    mut conn: tokio_postgres::Connection<S, T>,
    tx: &Sink,
    backoff: &mut Duration,
) -> Option<String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (payloads, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match futures::future::poll_fn(|cx| conn.poll_message(cx)).await {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                    if payloads.send(n.payload().to_string()).is_err() {
                        return String::new();
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return describe(&e),
                None => return "the server closed the connection".to_string(),
            }
        }
    });
    let ended = async {
        match tokio::time::timeout(
            STEP_TIMEOUT,
            client.batch_execute(&format!("LISTEN {CHANNEL}")),
        )
        .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Some(describe(&e)),
            Err(_) => return Some("LISTEN had no answer".to_string()),
        }
        // Listening from here on: whatever was committed before is found by reading.
        if tx.send(Ok(Wake::Resync)).is_err() {
            return None;
        }
        *backoff = Duration::from_millis(100);
        loop {
            tokio::select! {
                payload = heard.recv() => match payload {
                    Some(p) => {
                        if let Some(wake) = parse_payload(&p)
                            && tx.send(Ok(wake)).is_err()
                        {
                            return None;
                        }
                    }
                    None => return Some(String::new()),
                },
                _ = tokio::time::sleep(PROBE_EVERY) => {
                    match tokio::time::timeout(STEP_TIMEOUT, client.simple_query("")).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return Some(describe(&e)),
                        Err(_) => return Some("the database stopped answering".to_string()),
                    }
                }
            }
        }
    }
    .await;
    drop(client);
    match ended {
        Some(why) if why.is_empty() => Some(
            driver
                .await
                .unwrap_or_else(|e| format!("the listener failed: {e}")),
        ),
        other => {
            driver.abort();
            other
        }
    }
}
