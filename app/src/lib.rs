//! 红茶议事会 the Leptos app: pages, components and server functions.
//! Built twice: with `ssr` into the server, with `hydrate` into wasm.
#![recursion_limit = "256"]

pub mod agenda;
pub mod api;
pub mod api_admin;
pub mod api_import;
pub mod api_opinions;
pub mod enterprise;
pub mod i18n;
pub mod meetings;
pub mod model;
mod pages;
pub mod plans;
pub mod reports;
pub mod risk;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{Html, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, lazy_route, path};

use crate::i18n::{I18n, initial_lang, use_i18n};
use crate::model::MeView;

/// The site's files as the page head names them (the server fingerprints
/// them by content; see `server::assets`).
#[derive(Clone, Debug)]
pub struct SiteAssets {
    pub css: String,
}

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let css = use_context::<SiteAssets>()
        .map(|s| s.css)
        .unwrap_or_else(|| "/pkg/hongcha.css".into());
    view! {
        <!DOCTYPE html>
        // The app's `<Html lang>` writes the language here (once).
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#9b2c1f" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="stylesheet" id="leptos" href=css />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Who is logged in, refetched after every login and logout.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<MeView>, model::AppError>>,
    pub login: ServerAction<api::Login>,
    pub login_code: ServerAction<api::LoginCode>,
    pub logout: ServerAction<api::Logout>,
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Pages off the first visit's path (meetings, plans, the staff and admin
/// areas, a resident's own page) come as routes whose view is split off
/// the main bundle (`cargo leptos build --split`): their code is fetched
/// when someone goes there, or with the page when it is rendered there.
macro_rules! lazy_pages {
    ($($route:ident => $page:path,)*) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                untrack($page).into_any()
            }
        }
    )*};
}

lazy_pages! {
    OpinionDetailRoute => pages::OpinionDetail,
    HotTopicsRoute => agenda::HotTopics,
    TopicRoute => agenda::TopicPage,
    MeetingListRoute => meetings::MeetingList,
    MeetingRoute => meetings::MeetingPage,
    PlanListRoute => plans::PlanList,
    PlanRoute => plans::PlanPage,
    NewMeetingRoute => meetings::NewMeeting,
    EditMeetingRoute => meetings::MeetingEditPage,
    VenueSheetRoute => meetings::VenueSheet,
    NewPlanRoute => plans::NewPlan,
    SlaAdminRoute => plans::SlaAdmin,
    EmailConfirmRoute => plans::EmailConfirmPage,
    ResidentHomeRoute => pages::ResidentHome,
    StaffPanelRoute => pages::StaffPanel,
    ImportRoute => pages::ImportPage,
    SuggestionsRoute => agenda::Suggestions,
    LexiconAdminRoute => agenda::LexiconAdmin,
    StreetAreaRoute => pages::StreetArea,
    TaskInboxRoute => pages::TaskInbox,
    AuditAreaRoute => pages::AuditArea,
    AdminAreaRoute => pages::AdminArea,
    ReportRoute => reports::ReportPage,
    ReportRecordsRoute => reports::RecordsPage,
    RiskOverviewRoute => risk::RiskOverview,
    RiskCasesRoute => risk::RiskCasesPage,
    RiskWarningRoute => risk::RiskWarningPage,
    RiskAdminRoute => risk::RiskAdmin,
    MyRiskRoute => risk::MyRiskPage,
    EntHomeRoute => enterprise::EnterpriseHome,
    EntSpaceRoute => enterprise::SpacePage,
    EntServicesRoute => enterprise::ServicesPage,
    EntRegisterRoute => enterprise::RegisterPage,
    EntFileRoute => enterprise::EnterpriseFilePage,
    EntQueueRoute => enterprise::QueuePage,
    EntLeasesRoute => enterprise::LeasesPage,
    EntPoliciesRoute => enterprise::PoliciesPage,
    EntDashboardRoute => enterprise::DashboardPage,
    EntBuildingsRoute => enterprise::BuildingsPage,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = I18n(RwSignal::new(initial_lang()));
    provide_context(i18n);
    let login = ServerAction::<api::Login>::new();
    let login_code = ServerAction::<api::LoginCode>::new();
    let logout = ServerAction::<api::Logout>::new();
    let me = Resource::new(
        move || {
            (
                login.version().get(),
                login_code.version().get(),
                logout.version().get(),
            )
        },
        |_| api::get_me(),
    );
    provide_context(Session {
        me,
        login,
        login_code,
        logout,
    });
    // Runs only in the browser, once hydrated: lets tests (and CSS) know.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Html {..} lang=move || i18n.lang().code() />
        <Title text=i18n.t("app.name") />
        <Meta name="description" content=i18n.t("app.tagline") />
        <Router>
            <a class="skip" href="#main">{i18n.t("nav.skip")}</a>
            <Header />
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::Home />
                    <Route path=path!("/login") view=pages::Login />
                    <Route path=path!("/register") view=pages::Register />
                    <Route path=path!("/opinions") view=pages::OpinionList />
                    <Route path=path!("/opinions/new") view=pages::NewOpinion />
                    <Route path=path!("/opinions/:id") view={Lazy::<OpinionDetailRoute>::new()} />
                    <Route path=path!("/topics") view={Lazy::<HotTopicsRoute>::new()} />
                    <Route path=path!("/topics/:id") view={Lazy::<TopicRoute>::new()} />
                    <Route path=path!("/meetings") view={Lazy::<MeetingListRoute>::new()} />
                    <Route path=path!("/meetings/:id") view={Lazy::<MeetingRoute>::new()} />
                    <Route path=path!("/meetings/:id/join") view={Lazy::<MeetingRoute>::new()} />
                    <Route path=path!("/plans") view={Lazy::<PlanListRoute>::new()} />
                    <Route path=path!("/plans/:id") view={Lazy::<PlanRoute>::new()} />
                    <Route path=path!("/staff/meetings/new") view={Lazy::<NewMeetingRoute>::new()} />
                    <Route path=path!("/staff/meetings/:id/sheet") view={Lazy::<VenueSheetRoute>::new()} />
                    <Route path=path!("/staff/meetings/:id/edit") view={Lazy::<EditMeetingRoute>::new()} />
                    <Route path=path!("/staff/plans/new") view={Lazy::<NewPlanRoute>::new()} />
                    <Route path=path!("/admin/sla") view={Lazy::<SlaAdminRoute>::new()} />
                    <Route path=path!("/me") view={Lazy::<ResidentHomeRoute>::new()} />
                    <Route path=path!("/risk/mine") view={Lazy::<MyRiskRoute>::new()} />
                    <Route path=path!("/enterprise") view={Lazy::<EntHomeRoute>::new()} />
                    <Route path=path!("/enterprise/space") view={Lazy::<EntSpaceRoute>::new()} />
                    <Route path=path!("/enterprise/services") view={Lazy::<EntServicesRoute>::new()} />
                    <Route path=path!("/enterprise/register") view={Lazy::<EntRegisterRoute>::new()} />
                    <Route path=path!("/enterprise/register/:id") view={Lazy::<EntFileRoute>::new()} />
                    <Route path=path!("/enterprise/requests") view={Lazy::<EntQueueRoute>::new()} />
                    <Route path=path!("/enterprise/leases") view={Lazy::<EntLeasesRoute>::new()} />
                    <Route path=path!("/enterprise/policies") view={Lazy::<EntPoliciesRoute>::new()} />
                    <Route path=path!("/enterprise/dashboard") view={Lazy::<EntDashboardRoute>::new()} />
                    <Route path=path!("/enterprise/buildings") view={Lazy::<EntBuildingsRoute>::new()} />
                    <Route path=path!("/email/confirm") view={Lazy::<EmailConfirmRoute>::new()} />
                    <Route path=path!("/staff") view={Lazy::<StaffPanelRoute>::new()} />
                    <Route path=path!("/staff/import") view={Lazy::<ImportRoute>::new()} />
                    <Route path=path!("/staff/agenda") view={Lazy::<SuggestionsRoute>::new()} />
                    <Route path=path!("/admin/lexicon") view={Lazy::<LexiconAdminRoute>::new()} />
                    <Route path=path!("/street") view={Lazy::<StreetAreaRoute>::new()} />
                    <Route path=path!("/tasks") view={Lazy::<TaskInboxRoute>::new()} />
                    <Route path=path!("/audit") view={Lazy::<AuditAreaRoute>::new()} />
                    <Route path=path!("/admin") view={Lazy::<AdminAreaRoute>::new()} />
                    <Route path=path!("/reports") view={Lazy::<ReportRoute>::new()} />
                    <Route path=path!("/reports/records") view={Lazy::<ReportRecordsRoute>::new()} />
                    <Route path=path!("/risk") view={Lazy::<RiskOverviewRoute>::new()} />
                    <Route path=path!("/risk/warnings/:id") view={Lazy::<RiskWarningRoute>::new()} />
                    <Route path=path!("/tasks/risk") view={Lazy::<RiskCasesRoute>::new()} />
                    <Route path=path!("/admin/risk") view={Lazy::<RiskAdminRoute>::new()} />
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    view! {
        <header class="top">
            <A href="/" attr:class="brand">
                <img src="/favicon.svg" alt="" width="28" height="28" />
                {i18n.t("app.name")}
            </A>
            <nav aria-label=i18n.t("nav.main")>
                <A href="/topics">{i18n.t("nav.topics")}</A>
                <A href="/opinions">{i18n.t("nav.opinions")}</A>
                <A href="/meetings">{i18n.t("nav.meetings")}</A>
                <A href="/plans">{i18n.t("nav.plans")}</A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.me.await {
                            Ok(Some(me)) => view! { <UserNav me /> }.into_any(),
                            _ => view! {
                                <A href="/login">{i18n.t("nav.login")}</A>
                                <A href="/register" attr:class="button">{i18n.t("nav.register")}</A>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <LangSwitch />
            </nav>
        </header>
    }
}

#[component]
fn UserNav(me: MeView) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let links = me
        .areas
        .iter()
        .map(|a| {
            let href = format!("/{a}");
            let key = format!("area.{a}");
            view! { <A href=href attr:data-area=a.clone()>{move || i18n.tr(&key)}</A> }
        })
        .collect_view();
    view! {
        {links}
        <ActionForm action=session.logout attr:class="inline">
            <button type="submit" class="link">{i18n.t("nav.logout")}</button>
        </ActionForm>
    }
}

/// Switches zh-CN ⇄ English at once, and remembers it in a cookie.
#[component]
fn LangSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let toggle = move |_| {
        let next = i18n.lang().other();
        i18n.0.set(next);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
                let _ = doc.set_cookie(&format!(
                    "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    next.code()
                ));
            }
        }
    };
    view! {
        <button
            type="button"
            class="lang"
            id="lang-switch"
            aria-label=i18n.t("lang.switch_label")
            on:click=toggle
        >
            {i18n.t("lang.switch")}
        </button>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes: a page rendered on one of them waits for its part of
    // the bundle before hydrating.
    leptos::mount::hydrate_lazy(App);
}
