//! The meetings' live room, pushed by server-sent events.
//!
//! `domain::meetings` announces every change after its commit
//! (`Services::announce`); on PostgreSQL it also `NOTIFY`s, and
//! [`listen_postgres`] forwards other instances' announcements here, so a
//! poll opened through one instance reaches participants connected to
//! another. Per meeting with watchers, the hub renders the public state
//! once per change (coalescing bursts) and hands the same bytes to every
//! connection through a `watch` channel: a change costs one render however
//! many people watch, and a slow reader only ever gets the newest state.
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::Stream;
use tokio::sync::watch;

/// The latest public state of one meeting, as JSON.
type Snapshot = Option<Arc<str>>;

#[derive(Clone)]
pub struct Hub {
    services: domain::Services,
    rooms: Arc<Mutex<HashMap<i64, watch::Sender<Snapshot>>>>,
    /// Set when the server stops: every stream ends, so a graceful
    /// shutdown does not wait for watchers who never leave.
    closing: watch::Sender<bool>,
}

/// Bursts of changes (a show of hands entered vote by vote) are rendered
/// once per this interval at most.
const COALESCE: Duration = Duration::from_millis(50);
/// Most meetings watched at once by one instance.
const ROOMS_MAX: usize = 1_000;

impl Hub {
    pub fn new(services: domain::Services) -> Self {
        Self {
            services,
            rooms: Arc::default(),
            closing: watch::channel(false).0,
        }
    }

    /// Ends every open stream (the server is stopping).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    async fn render(&self, id: i64) -> Snapshot {
        match domain::meetings::view(&self.services, None, id).await {
            Ok(v) => serde_json::to_string(&v).ok().map(Arc::from),
            Err(_) => None,
        }
    }

    /// A receiver of meeting `id`'s state, starting with the current one.
    /// `None`: no such public meeting (or too many watched).
    async fn watch(&self, id: i64) -> Option<watch::Receiver<Snapshot>> {
        if let Some(tx) = self
            .rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Some(tx.subscribe());
        }
        // A draft has no public state yet, but its staff page watches it
        // from the start: the room waits (sending `gone`) until it is
        // scheduled. Ids of meetings that do not exist get no room.
        let first = match self.render(id).await {
            Some(json) => Some(json),
            None if domain::meetings::exists(&self.services, id).await => None,
            None => return None,
        };
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.retain(|_, tx| tx.receiver_count() > 0);
        if rooms.len() >= ROOMS_MAX {
            return None;
        }
        let tx = rooms.entry(id).or_insert_with(|| watch::channel(first).0);
        Some(tx.subscribe())
    }

    /// Follows the announcements and re-renders watched meetings. Runs
    /// until the services' channel closes.
    pub async fn run(self) {
        let mut changes = self.services.live_changes();
        loop {
            // A negative id (after the PostgreSQL channel reconnected):
            // every watched room.
            let first = match changes.recv().await {
                Ok(id) if id >= 0 => Some(id),
                Ok(_) => None,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => None,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            tokio::time::sleep(COALESCE).await;
            // Everything that came meanwhile, once each. After a lag, every
            // watched room (some changes were missed).
            let mut due: Vec<i64> = first.into_iter().collect();
            let mut lagged = first.is_none();
            loop {
                match changes.try_recv() {
                    Ok(id) if id < 0 => lagged = true,
                    Ok(id) => {
                        if !due.contains(&id) {
                            due.push(id)
                        }
                    }
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => lagged = true,
                    Err(_) => break,
                }
            }
            let watched: Vec<(i64, watch::Sender<Snapshot>)> = {
                let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
                rooms.retain(|_, tx| tx.receiver_count() > 0);
                rooms
                    .iter()
                    .filter(|(id, _)| lagged || due.contains(id))
                    .map(|(id, tx)| (*id, tx.clone()))
                    .collect()
            };
            for (id, tx) in watched {
                let snap = self.render(id).await;
                tx.send_replace(snap);
            }
        }
    }
}

/// `GET /live/meetings/{id}`: the meeting's public state now and after
/// every change, as `event: state` messages (JSON of
/// `domain::meetings::MeetingView`), with a keep-alive comment every 15 s.
pub async fn events(State(hub): State<Hub>, Path(id): Path<i64>) -> Response {
    let Some(rx) = hub.watch(id).await else {
        return (axum::http::StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut res = Sse::new(stream(rx, hub.closing.subscribe()))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    // Proxies (nginx) must pass events through as they come.
    res.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    res
}

fn stream(
    rx: watch::Receiver<Snapshot>,
    closing: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(
        (rx, closing, true),
        |(mut rx, mut closing, first)| async move {
            if *closing.borrow() {
                return None;
            }
            if !first {
                tokio::select! {
                    changed = rx.changed() => changed.ok()?,
                    _ = closing.changed() => return None,
                }
            }
            let snap = rx.borrow_and_update().clone();
            let event = match snap {
                Some(json) => Event::default().event("state").data(&*json),
                None => Event::default().event("gone").data("{}"),
            };
            Some((Ok(event), (rx, closing, false)))
        },
    )
}
