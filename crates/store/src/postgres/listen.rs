//! Hearing other nodes' commits: a connection that LISTENs on the change channel.
//!
//! Each notification carries the change mask of one committed transaction (see
//! [`crate::Changes::mask`]); the listener moves this node's counters, which invalidates the
//! matching cache entries. A notification arrives milliseconds after the commit. The listener
//! also checks its connection every [`HEARTBEAT`]: when the check fails or the connection drops,
//! the node marks itself out of sync (caches bypassed, every read goes to the database) until it
//! listens again. So a change is in force on every node within the notification delay, and in
//! the worst case (a connection that dies silently) within two heartbeats.

use super::CHANNEL;
use super::connect::Connector;
use crate::Changes;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio_postgres::AsyncMessage;

/// How often the listener proves its connection alive, and how long it waits for the answer.
pub(crate) const HEARTBEAT: Duration = Duration::from_millis(500);

/// Starts the listener on the I/O thread. It stops when the counters are dropped.
pub(crate) fn spawn(connector: &Arc<Connector>, changes: Arc<Changes>) {
    let weak_connector = Arc::downgrade(connector);
    let weak_changes = Arc::downgrade(&changes);
    drop(changes);
    connector.spawn(run(weak_connector, weak_changes));
}

async fn run(connector: Weak<Connector>, changes: Weak<Changes>) {
    let mut logged_down = false;
    loop {
        let (Some(conn), Some(_)) = (connector.upgrade(), changes.upgrade()) else { return };
        match conn.connect_raw().await {
            Ok((client, mut connection)) => {
                drop(conn);
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
                let driver = tokio::spawn(async move {
                    while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                // A payload that does not parse invalidates everything.
                                let _ = tx.send(n.payload().parse().unwrap_or(u32::MAX));
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "change listener connection failed");
                                break;
                            }
                        }
                    }
                });
                if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    tracing::warn!(error = %e, "cannot LISTEN for other nodes' changes");
                } else {
                    let Some(c) = changes.upgrade() else { return };
                    c.set_in_sync(true);
                    if logged_down {
                        tracing::info!("listening for other nodes' changes again; caches back on");
                    }
                    drop(c);
                    listen(&client, &mut rx, &changes).await;
                    logged_down = true;
                }
                if let Some(c) = changes.upgrade() {
                    c.set_in_sync(false);
                }
                driver.abort();
            }
            Err(e) => {
                if !logged_down {
                    tracing::warn!(error = %e, "cannot listen for other nodes' changes; caches are off until then");
                    logged_down = true;
                }
            }
        }
        tokio::time::sleep(HEARTBEAT).await;
    }
}

/// Applies notifications until the connection fails a heartbeat or closes.
async fn listen(
    client: &tokio_postgres::Client,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<u32>,
    changes: &Weak<Changes>,
) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            mask = rx.recv() => {
                let (Some(mask), Some(c)) = (mask, changes.upgrade()) else { return };
                c.bump_mask(mask);
            }
            _ = tick.tick() => {
                if changes.strong_count() == 0 {
                    return;
                }
                match tokio::time::timeout(HEARTBEAT, client.simple_query("SELECT 1")).await {
                    Ok(Ok(_)) => {}
                    _ => {
                        tracing::warn!("change listener lost its connection; caches are off until it is back");
                        return;
                    }
                }
            }
        }
    }
}
