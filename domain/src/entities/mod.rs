//! SeaORM entities, one module per table. Reads and writes live in the
//! bounded-context modules (`accounts`, `org`, `audit`, `outbox`), not here.

pub mod account;
pub mod audit_head;
pub mod audit_log;
pub mod building;
pub mod building_unit;
pub mod category;
pub mod community;
pub mod compound;
pub mod crawl_source;
pub mod job_lease;
pub mod job_run;
pub mod login_code;
pub mod moderation_log;
pub mod opinion;
pub mod opinion_comment;
pub mod opinion_photo;
pub mod opinion_support;
pub mod outbox;
pub mod role_grant;
pub mod session;
pub mod street;
