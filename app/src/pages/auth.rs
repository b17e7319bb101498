use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::{ErrorNotice, action_error};
use crate::api;
use crate::i18n::use_i18n;
use crate::use_session;

/// A password input with a show/hide button.
#[component]
pub(super) fn PasswordField(
    #[prop(into)] id: String,
    autocomplete: &'static str,
    #[prop(default = "password")] name: &'static str,
    #[prop(default = "form.password")] label: &'static str,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(false);
    let hint_id = format!("{id}-hint");
    view! {
        <label for=id.clone()>{i18n.t(label)}</label>
        <div class="with-button">
            <input
                id=id.clone()
                name=name
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete=autocomplete
                required=required
                minlength="8"
                maxlength="128"
                aria-describedby=hint_id.clone()
            />
            <button
                type="button"
                class="secondary"
                aria-controls=id
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || {
                    if shown.get() { i18n.tr("form.hide_password") } else { i18n.tr("form.show_password") }
                }}
            </button>
        </div>
        <small id=hint_id>{i18n.t("form.password.hint")}</small>
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let registered = move || query.read().get("registered").is_some();
    let request_code = ServerAction::<api::RequestCode>::new();
    let code_sent = move || matches!(request_code.value().get(), Some(Ok(())));
    view! {
        <h1>{i18n.t("login.title")}</h1>
        <Show when=registered>
            <p class="notice ok" role="status">{i18n.t("register.done")}</p>
        </Show>
        <div class="two-col">
            <section class="card" aria-labelledby="by-password">
                <h2 id="by-password">{i18n.t("login.by_password")}</h2>
                <ActionForm action=session.login attr:id="login-form">
                    <input type="hidden" name="next" value=next />
                    <label for="login-phone">{i18n.t("form.phone")}</label>
                    <input id="login-phone" name="phone" type="tel" inputmode="numeric"
                        autocomplete="tel" required maxlength="20" />
                    <PasswordField id="login-password" autocomplete="current-password" />
                    <ErrorNotice error=action_error(session.login) />
                    <button type="submit" disabled=move || session.login.pending().get()>
                        {move || if session.login.pending().get() { i18n.tr("form.working") } else { i18n.tr("form.submit.login") }}
                    </button>
                </ActionForm>
            </section>
            <section class="card" aria-labelledby="by-code">
                <h2 id="by-code">{i18n.t("login.by_code")}</h2>
                <ActionForm action=request_code attr:id="code-request-form">
                    <label for="code-phone">{i18n.t("form.phone")}</label>
                    <input id="code-phone" name="phone" type="tel" inputmode="numeric"
                        autocomplete="tel" required maxlength="20" />
                    <ErrorNotice error=action_error(request_code) />
                    <button type="submit" class="secondary">{i18n.t("form.submit.code")}</button>
                </ActionForm>
                <Show when=code_sent>
                    <p class="notice ok" role="status">{i18n.t("login.code_sent")}</p>
                    <ActionForm action=session.login_code attr:id="code-login-form">
                        <input type="hidden" name="next" value=next />
                        <input type="hidden" name="phone" value=move || {
                            request_code.input().get().map(|i| i.phone).unwrap_or_default()
                        } />
                        <label for="code-code">{i18n.t("form.code")}</label>
                        <input id="code-code" name="code" inputmode="numeric"
                            autocomplete="one-time-code" required maxlength="6" />
                        <PasswordField id="code-new-password" autocomplete="new-password"
                            name="new_password" label="login.new_password" required=false />
                        <ErrorNotice error=action_error(session.login_code) />
                        <button type="submit">{i18n.t("form.submit.code_login")}</button>
                    </ActionForm>
                </Show>
            </section>
        </div>
        <p>
            {i18n.t("login.no_account")} " "
            <A href="/register">{i18n.t("nav.register")}</A>
        </p>
    }
}

#[component]
pub fn Register() -> impl IntoView {
    let i18n = use_i18n();
    let register = ServerAction::<api::Register>::new();
    let send_code = ServerAction::<api::RequestRegisterCode>::new();
    let code_sent = move || matches!(send_code.value().get(), Some(Ok(())));
    let communities = Resource::new(|| (), |_| api::list_communities());
    let name_len = RwSignal::new(0usize);
    let phone = RwSignal::new(String::new());
    view! {
        <h1>{i18n.t("register.title")}</h1>
        <section class="card">
            <ActionForm action=register attr:id="register-form">
                <label for="reg-phone">{i18n.t("form.phone")}</label>
                <div class="with-button">
                    <input id="reg-phone" name="phone" type="tel" inputmode="numeric"
                        autocomplete="tel" required maxlength="20"
                        on:input=move |ev| phone.set(event_target_value(&ev)) />
                    <button type="button" class="secondary" id="reg-send-code"
                        disabled=move || send_code.pending().get()
                        on:click=move |_| {
                            send_code.dispatch(api::RequestRegisterCode { phone: phone.get_untracked() });
                        }>
                        {i18n.t("form.submit.code")}
                    </button>
                </div>
                <ErrorNotice error=action_error(send_code) />
                <Show when=code_sent>
                    <p class="notice ok" role="status">{i18n.t("register.code_sent")}</p>
                </Show>
                <label for="reg-code">{i18n.t("form.code")}</label>
                <input id="reg-code" name="code" inputmode="numeric" autocomplete="one-time-code"
                    required maxlength="6" aria-describedby="reg-code-hint" />
                <small id="reg-code-hint">{i18n.t("register.code_hint")}</small>
                <PasswordField id="reg-password" autocomplete="new-password" />
                <label for="reg-name">{i18n.t("form.display_name")}</label>
                <input id="reg-name" name="display_name" required maxlength="32"
                    autocomplete="nickname" aria-describedby="reg-name-hint reg-name-count"
                    on:input=move |ev| name_len.set(event_target_value(&ev).chars().count()) />
                <small id="reg-name-hint">{i18n.t("form.display_name.hint")}</small>
                <small id="reg-name-count" class="counter" aria-live="polite">
                    {move || format!("{}/32", name_len.get())}
                </small>
                <label for="reg-community">{i18n.t("form.community")}</label>
                <select id="reg-community" name="community_id" required>
                    <option value="">{i18n.t("form.community.choose")}</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            communities
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <option value=c.id.to_string()>
                                            {format!("{} · {}", c.street_name, c.name)}
                                        </option>
                                    }
                                })
                                .collect_view()
                        })}
                    </Suspense>
                </select>
                <ErrorNotice error=action_error(register) />
                <button type="submit" disabled=move || register.pending().get()>
                    {i18n.t("form.submit.register")}
                </button>
            </ActionForm>
        </section>
        <p>
            {i18n.t("register.have_account")} " "
            <A href="/login">{i18n.t("nav.login")}</A>
        </p>
    }
}
