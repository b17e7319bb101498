//! Indexes for the street's report and the open-data API at scale:
//! - `opinion_figures` holds every column the report's opinion figures read,
//!   led by the columns they are grouped by, so the report walks it in
//!   order instead of reading (and sorting) the opinions themselves;
//! - `opinion_published` (status, published, id) and
//!   `opinion_community_published` (community, status, published, id) order
//!   published opinions the way the open-data API pages them (when
//!   published, then id), so a page reads only its own rows, whatever the
//!   community and period. The status leads: with it behind, SQLite took
//!   the older (status, id) index for `status = 'published'` and sorted
//!   every published opinion for each page. The first replaces migration
//!   16's index on `published_at`.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opinion {
    Table,
    Id,
    CommunityId,
    Channel,
    Category,
    Status,
    ReceivedAt,
    CreatedAt,
    PublishedAt,
}

const REPORT: &str = "opinion_figures";
const PUBLISHED: &str = "opinion_published";
const COMMUNITY_PUBLISHED: &str = "opinion_community_published";
/// Migration 16's index, which `opinion_published` replaces.
const OLD: &str = "opinion_published_at";

/// Each index this migration adds: its name and columns.
fn indexes() -> [(&'static str, Vec<Opinion>); 3] {
    use Opinion::*;
    [
        (
            REPORT,
            vec![
                CommunityId,
                Channel,
                Category,
                Status,
                ReceivedAt,
                CreatedAt,
            ],
        ),
        (PUBLISHED, vec![Status, PublishedAt, Id]),
        (
            COMMUNITY_PUBLISHED,
            vec![CommunityId, Status, PublishedAt, Id],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in indexes() {
            let mut index = Index::create();
            index.name(name).table(Opinion::Table);
            for c in columns {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .drop_index(Index::drop().name(OLD).table(Opinion::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table(Opinion::Table)
                    .col(Opinion::PublishedAt)
                    .to_owned(),
            )
            .await?;
        for (name, _) in indexes().into_iter().rev() {
            manager
                .drop_index(Index::drop().name(name).table(Opinion::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
