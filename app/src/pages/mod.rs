//! Pages, one module per area.
mod admin;
mod areas;
mod auth;
mod home;
pub(crate) mod import;
mod opinions;

pub use admin::AdminArea;
pub(crate) use areas::AreaPage;
pub use areas::{AuditArea, ResidentHome, StaffPanel, StreetArea, TaskInbox};
pub use auth::{Login, Register};
pub use home::{Home, NotFound};
pub use import::ImportPage;
pub use opinions::{
    CommentQueue, ModerationLog, ModerationQueue, ModerationTick, MyOpinions, NewOpinion,
    OpinionDetail, OpinionList,
};

use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::model::AppError;

/// An error message for a failed server call, announced to screen readers.
#[component]
pub fn ErrorNotice(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <ErrorMessage key=e.message_key() /> })
    }
}

/// The one way an error is shown: its message (by i18n key) in an alert.
#[component]
pub fn ErrorMessage(#[prop(into)] key: String) -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="notice error" role="alert">{move || i18n.tr(&key)}</p> }
}

/// What a plain upload form (a multipart post the server answers with a
/// redirect) came back with: `?upload=ok` shows `done_key`,
/// `?upload_error=err.…` its message.
#[component]
pub fn UploadOutcome(done_key: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let query = leptos_router::hooks::use_query_map();
    let uploaded = move || query.read().get("upload").is_some_and(|v| v == "ok");
    let upload_error = move || {
        query
            .read()
            .get("upload_error")
            .filter(|k| k.starts_with("err."))
    };
    view! {
        {move || uploaded().then(|| view! { <p class="notice" role="status">{i18n.t(done_key)}</p> })}
        {move || upload_error().map(|k| view! { <ErrorMessage key=k /> })}
    }
}

/// How many of a server action's runs succeeded, as the action's version at
/// the last success: a resource keyed on it is read again after a success
/// only, so a refused form is not rebuilt under what the user typed.
pub fn succeeded<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Memo::new(move |prev: Option<&usize>| {
        let v = action.version().get();
        if matches!(action.value().get(), Some(Ok(_))) {
            v
        } else {
            prev.copied().unwrap_or(0)
        }
    })
}

/// The error of a server action's last run, if it failed.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}
