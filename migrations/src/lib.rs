//! Database migrations. Hand-written, one change per statement, and never
//! importing `domain` entities: a migration describes the schema as it was on
//! the day it was written.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_organisation;
mod m20261127_000002_accounts;
mod m20261127_000003_audit_outbox;
mod m20261127_000004_opinions;
mod m20261127_000005_crawl_sources;
mod m20261127_000006_moderation;
mod m20261128_000007_hardening;
mod m20261128_000008_rate_limit;
mod m20261128_000009_org_admin;
mod m20261128_000010_job_run;
mod m20261128_000011_ref_version;
mod m20261128_000012_page_version;
mod m20261129_000013_agenda;
mod m20261129_000014_loop;
mod m20261129_000015_report_snapshot;
mod m20261129_000016_open_data_index;
mod m20261130_000017_report_indexes;
mod m20261201_000018_account_email;
mod m20261207_000019_risk;
mod m20261207_000020_risk_photo;
mod m20261207_000021_enterprise;
mod m20261207_000022_request_attachment;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_organisation::Migration),
            Box::new(m20261127_000002_accounts::Migration),
            Box::new(m20261127_000003_audit_outbox::Migration),
            Box::new(m20261127_000004_opinions::Migration),
            Box::new(m20261127_000005_crawl_sources::Migration),
            Box::new(m20261127_000006_moderation::Migration),
            Box::new(m20261128_000007_hardening::Migration),
            Box::new(m20261128_000008_rate_limit::Migration),
            Box::new(m20261128_000009_org_admin::Migration),
            Box::new(m20261128_000010_job_run::Migration),
            Box::new(m20261128_000011_ref_version::Migration),
            Box::new(m20261128_000012_page_version::Migration),
            Box::new(m20261129_000013_agenda::Migration),
            Box::new(m20261129_000014_loop::Migration),
            Box::new(m20261129_000015_report_snapshot::Migration),
            Box::new(m20261129_000016_open_data_index::Migration),
            Box::new(m20261130_000017_report_indexes::Migration),
            Box::new(m20261201_000018_account_email::Migration),
            Box::new(m20261207_000019_risk::Migration),
            Box::new(m20261207_000020_risk_photo::Migration),
            Box::new(m20261207_000021_enterprise::Migration),
            Box::new(m20261207_000022_request_attachment::Migration),
        ]
    }
}
