//! Full recomputation: every published opinion regrouped, every topic's
//! heat counted again. Topics keep their ids from run to run (a new group
//! takes over the open topic it shares most opinions with), what staff
//! decided stays (members of accepted, rejected and merged topics, and
//! opinions staff placed by hand), and open topics no group continues are
//! dissolved. One write transaction at the end: readers see the old
//! ranking or the new one, never half of each.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use super::entities::{topic, topic_community, topic_member};
use super::{Member, analyse, community_rows, decode_keywords, json, label_of, status, voice};
use crate::entities::opinion;
use crate::error::{DomainError, DomainResult};
use crate::opinions::status as opinion_status;
use crate::{Services, clock};

/// Where a recomputation is (for progress bars).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Stage {
    /// Keywords for published opinions that have none (or all, reanalysing).
    Analyse,
    /// Grouping into topics.
    Group,
    /// Writing topics, members and heat.
    Store,
}

/// What a recomputation did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Recomputed {
    pub opinions: usize,
    pub analysed: usize,
    pub topics: usize,
    pub new_topics: usize,
    pub dissolved: usize,
    /// With `reanalyse`: (opinions read, IDF terms changed).
    pub idf_refresh: Option<(usize, usize)>,
    pub millis: u128,
    /// Where the time went: reading (analysis included), grouping, writing.
    pub read_millis: u128,
    pub group_millis: u128,
    pub store_millis: u128,
}

#[derive(FromQueryResult)]
struct DocRow {
    id: i64,
    community_id: i64,
    channel: String,
    keywords: String,
    fingerprint: i64,
    resident_key: Option<String>,
    author_id: Option<i64>,
    received_at: Option<DateTime<Utc>>,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    supports: i32,
}

#[derive(FromQueryResult)]
struct ToAnalyse {
    id: i64,
    title_public: String,
    body_public: String,
}

const ANALYSE_BATCH: usize = 2_000;

/// Analyses published opinions without keywords (all of them when
/// `reanalyse`), in batches, each batch one transaction.
async fn analyse_missing(
    s: &Services,
    reanalyse: bool,
    progress: &mut (impl FnMut(Stage, usize, usize) + Send),
) -> DomainResult<usize> {
    let current = super::analyzer(s).await?;
    let mut query = opinion::Entity::find()
        .select_only()
        .column(opinion::Column::Id)
        .column(opinion::Column::TitlePublic)
        .column(opinion::Column::BodyPublic)
        .filter(opinion::Column::Status.eq(opinion_status::PUBLISHED));
    if !reanalyse {
        query = query.filter(opinion::Column::Keywords.eq(""));
    }
    let todo: Vec<ToAnalyse> = query.into_model().all(&s.db).await?;
    let total = todo.len();
    let k = s.settings.agenda.keywords_per_opinion;
    let mut done = 0;
    let current = std::sync::Arc::new(current);
    for chunk in todo.chunks(ANALYSE_BATCH) {
        let texts: Vec<(i64, String, String)> = chunk
            .iter()
            .map(|r| (r.id, r.title_public.clone(), r.body_public.clone()))
            .collect();
        let a = current.clone();
        // On every core, off the async runtime.
        let results: Vec<(i64, super::Analysis)> = tokio::task::spawn_blocking(move || {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let part = texts.len().div_ceil(threads).max(1);
            std::thread::scope(|scope| {
                let handles: Vec<_> = texts
                    .chunks(part)
                    .map(|c| {
                        let a = &a;
                        scope.spawn(move || {
                            c.iter()
                                .map(|(id, t, b)| (*id, analyse(a.get(), t, b, k)))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        })
        .await
        .map_err(|e| DomainError::Internal(format!("analysis: {e}")))?;
        let (_gate, txn) = s.begin_write().await?;
        for (id, an) in results {
            opinion::Entity::update_many()
                .col_expr(opinion::Column::Keywords, an.keywords.into())
                .col_expr(opinion::Column::Fingerprint, an.fingerprint.into())
                .filter(opinion::Column::Id.eq(id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        done += chunk.len();
        progress(Stage::Analyse, done, total);
    }
    Ok(total)
}

/// A topic as a run sees it at its start and checks again before writing.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
struct TopicState {
    id: i64,
    status: String,
    prevote: Option<String>,
    updated_at: DateTime<Utc>,
}

async fn topic_states<C: ConnectionTrait>(conn: &C, lock: bool) -> DomainResult<Vec<TopicState>> {
    let mut q = topic::Entity::find()
        .select_only()
        .column(topic::Column::Id)
        .column(topic::Column::Status)
        .column(topic::Column::Prevote)
        .column(topic::Column::UpdatedAt)
        .order_by_asc(topic::Column::Id);
    if lock && conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.into_model().all(conn).await?)
}

/// Regroups every published opinion and counts every topic's heat again
/// (see the module documentation). `reanalyse` first refreshes the IDF from
/// the corpus and extracts every opinion's keywords again (after a lexicon
/// change). If staff or publishing changed a topic while the run grouped,
/// it starts again (up to three times) rather than overwrite that.
pub async fn recompute(
    s: &Services,
    reanalyse: bool,
    mut progress: impl FnMut(Stage, usize, usize) + Send,
) -> DomainResult<Recomputed> {
    let mut reanalyse = reanalyse;
    for attempt in 1.. {
        match recompute_once(s, reanalyse, &mut progress).await {
            Err(DomainError::Conflict("heat_busy")) if attempt < 3 => {
                // The analysis is done; only the grouping runs again.
                reanalyse = false;
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

async fn recompute_once(
    s: &Services,
    reanalyse: bool,
    mut progress: impl FnMut(Stage, usize, usize) + Send,
) -> DomainResult<Recomputed> {
    let started = std::time::Instant::now();
    let settings = s.settings.agenda.clone();
    let idf = if reanalyse {
        Some(super::lexicon::refresh_idf(s).await?)
    } else {
        None
    };
    let analysed = analyse_missing(s, reanalyse, &mut progress).await?;
    // Opinions published while this runs are placed again afterwards: the
    // write below replaces memberships with what this snapshot saw.
    let snapshot_at = clock::now();

    let docs: Vec<DocRow> = opinion::Entity::find()
        .select_only()
        .column(opinion::Column::Id)
        .column(opinion::Column::CommunityId)
        .column(opinion::Column::Channel)
        .column(opinion::Column::Keywords)
        .column(opinion::Column::Fingerprint)
        .column(opinion::Column::ResidentKey)
        .column(opinion::Column::AuthorId)
        .column(opinion::Column::ReceivedAt)
        .column(opinion::Column::PublishedAt)
        .column(opinion::Column::CreatedAt)
        .column(opinion::Column::Supports)
        .filter(opinion::Column::Status.eq(opinion_status::PUBLISHED))
        .filter(opinion::Column::Hidden.eq(false))
        .into_model()
        .all(&s.db)
        .await?;
    let snapshot: Vec<TopicState> = topic_states(&s.db, false).await?;
    let topics: Vec<(i64, String)> = snapshot.iter().map(|t| (t.id, t.status.clone())).collect();
    let members: Vec<topic_member::Model> = topic_member::Entity::find().all(&s.db).await?;
    progress(Stage::Group, 0, docs.len());
    let read_millis = started.elapsed().as_millis();

    let status_of: HashMap<i64, &str> = topics.iter().map(|(id, st)| (*id, st.as_str())).collect();
    // Membership frozen: decided topics, and open ones residents are voting on.
    let frozen: HashSet<i64> = snapshot
        .iter()
        .filter(|t| t.status != status::OPEN || t.prevote.is_some())
        .map(|t| t.id)
        .collect();
    let is_free_open = |t: i64| status_of.get(&t) == Some(&status::OPEN) && !frozen.contains(&t);
    // Kept where they are: members of frozen topics, and staff placements
    // (in topics that still exist).
    let kept: Vec<&topic_member::Model> = members
        .iter()
        .filter(|m| {
            frozen.contains(&m.topic_id) || (m.pinned && status_of.contains_key(&m.topic_id))
        })
        .collect();
    let kept_ids: HashSet<i64> = kept.iter().map(|m| m.opinion_id).collect();
    // Last run's open membership, to carry topic ids over.
    let previous: HashMap<i64, i64> = members
        .iter()
        .filter(|m| !m.pinned && is_free_open(m.topic_id))
        .map(|m| (m.opinion_id, m.topic_id))
        .collect();
    let now = clock::now();
    let now_secs = now.timestamp();
    let by_id: HashMap<i64, &DocRow> = docs.iter().map(|d| (d.id, d)).collect();

    let free: Vec<nlp::topics::Doc> = docs
        .iter()
        .filter(|d| !kept_ids.contains(&d.id) && !d.keywords.is_empty())
        .map(|d| nlp::topics::Doc {
            id: d.id,
            keywords: decode_keywords(&d.keywords),
            fingerprint: d.fingerprint as u64,
            resident: voice(d.id, d.resident_key.as_deref(), d.author_id),
            at: super::counted_at(d.received_at, d.published_at, d.created_at).timestamp(),
        })
        .collect();
    let params = settings.grouping;
    let groups = tokio::task::spawn_blocking(move || nlp::topics::group(&free, &params))
        .await
        .map_err(|e| DomainError::Internal(format!("grouping: {e}")))?;
    progress(Stage::Group, docs.len(), docs.len());
    let group_millis = started.elapsed().as_millis() - read_millis;

    // Each group continues the open topic it shares most opinions with
    // (at least a third of the group), each topic at most once.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| std::cmp::Reverse(groups[g].members.len()));
    let mut taken: HashSet<i64> = HashSet::new();
    let mut continues: Vec<Option<i64>> = vec![None; groups.len()];
    for g in order {
        let mut overlap: HashMap<i64, usize> = HashMap::new();
        for id in &groups[g].members {
            if let Some(t) = previous.get(id) {
                *overlap.entry(*t).or_default() += 1;
            }
        }
        let best = overlap
            .into_iter()
            .filter(|(t, n)| !taken.contains(t) && n * 3 >= groups[g].members.len())
            .max_by_key(|(t, n)| (*n, std::cmp::Reverse(*t)));
        if let Some((t, _)) = best {
            taken.insert(t);
            continues[g] = Some(t);
        }
    }
    let pinned_open: HashSet<i64> = kept
        .iter()
        .filter(|m| is_free_open(m.topic_id))
        .map(|m| m.topic_id)
        .collect();
    let dissolved: Vec<i64> = topics
        .iter()
        .filter(|(id, _)| is_free_open(*id) && !taken.contains(id) && !pinned_open.contains(id))
        .map(|(id, _)| *id)
        .collect();

    // Voices, for copies: an opinion's own.
    let voice_of = |id: i64| {
        by_id
            .get(&id)
            .map(|d| voice(d.id, d.resident_key.as_deref(), d.author_id))
    };
    let member_of = |id: i64, copy_of: Option<i64>| -> Option<Member> {
        let d = by_id.get(&id)?;
        let own = voice(d.id, d.resident_key.as_deref(), d.author_id);
        Some(Member {
            voice: copy_of.and_then(voice_of).unwrap_or(own),
            channel: d.channel.clone(),
            community: d.community_id,
            at: super::counted_at(d.received_at, d.published_at, d.created_at).timestamp(),
            supports: d.supports.max(0) as u32,
        })
    };
    let mut kept_by_topic: HashMap<i64, Vec<Member>> = HashMap::new();
    for m in &kept {
        if let Some(member) = member_of(m.opinion_id, m.copy_of) {
            kept_by_topic.entry(m.topic_id).or_default().push(member);
        }
    }

    progress(Stage::Store, 0, groups.len());
    let (_gate, txn) = s.begin_write().await?;
    // Nothing staff or publishing did since the snapshot may be overwritten:
    // the topics are read again under lock, and any change sends the run
    // back to start (the caller retries).
    if topic_states(&txn, true).await? != snapshot {
        return Err(DomainError::Conflict("heat_busy"));
    }
    let open_ids: Vec<i64> = topics
        .iter()
        .filter(|(id, _)| is_free_open(*id))
        .map(|(id, _)| *id)
        .collect();
    // Memberships of topics that no longer exist.
    txn.execute_unprepared("DELETE FROM topic_member WHERE topic_id NOT IN (SELECT id FROM topic)")
        .await?;
    for chunk in dissolved.chunks(500) {
        topic::Entity::delete_many()
            .filter(topic::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    topic_community::Entity::delete_many().exec(&txn).await?;

    let mut new_topics = 0;
    // What each grouped opinion's membership should be: (topic, copy of).
    let mut desired: HashMap<i64, (i64, Option<i64>)> = HashMap::new();
    let mut community: Vec<topic_community::ActiveModel> = Vec::new();
    let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or(now);
    let write_topic = |id: Option<i64>, label: Option<(String, String)>, ms: &[Member]| {
        let b = super::breakdown(ms, now_secs, &settings.heat);
        let mut am = topic::ActiveModel {
            heat: Set(b.value),
            breakdown: Set(json(&b)),
            residents: Set(b.residents as i32),
            posts: Set(b.posts as i32),
            trend: Set(json(&super::trend(ms, now_secs, settings.trend_weeks))),
            updated_at: Set(now),
            ..Default::default()
        };
        // A topic left without public members (merged, or its opinions
        // withdrawn) keeps the span it had: it did not happen now.
        if let (Some(first), Some(last)) =
            (ms.iter().map(|m| m.at).min(), ms.iter().map(|m| m.at).max())
        {
            am.first_at = Set(at(first));
            am.last_at = Set(at(last));
        } else if id.is_none() {
            am.first_at = Set(now);
            am.last_at = Set(now);
        }
        if let Some((label, keywords)) = label {
            am.label = Set(label);
            am.keywords = Set(keywords);
        }
        match id {
            Some(id) => {
                am.id = sea_orm::ActiveValue::Unchanged(id);
            }
            None => {
                am.status = Set(status::OPEN.to_owned());
                am.created_at = Set(now);
            }
        }
        am
    };
    for (g, group) in groups.iter().enumerate() {
        let copies: HashMap<i64, i64> = group.copies.iter().copied().collect();
        let mut ms: Vec<Member> = group
            .members
            .iter()
            .filter_map(|&id| member_of(id, copies.get(&id).copied()))
            .collect();
        let label = (
            label_of(&group.centroid),
            serde_json::to_string(&group.centroid).unwrap_or_else(|_| "[]".into()),
        );
        let id = match continues[g] {
            Some(t) => {
                ms.extend(kept_by_topic.remove(&t).unwrap_or_default());
                write_topic(Some(t), Some(label), &ms).update(&txn).await?;
                t
            }
            None => {
                new_topics += 1;
                write_topic(None, Some(label), &ms).insert(&txn).await?.id
            }
        };
        for &opinion_id in &group.members {
            desired.insert(opinion_id, (id, copies.get(&opinion_id).copied()));
        }
        community.extend(community_rows(&settings, id, &ms, now_secs));
        progress(Stage::Store, g + 1, groups.len());
    }
    // Decided topics, and open ones only staff placements keep alive (with
    // no public member left, their heat drops to nothing).
    let mut rest: Vec<(i64, Vec<Member>)> = kept_by_topic.drain().collect();
    let written: HashSet<i64> = continues
        .iter()
        .flatten()
        .copied()
        .chain(rest.iter().map(|(t, _)| *t))
        .collect();
    rest.extend(
        topics
            .iter()
            .filter(|(t, st)| {
                !written.contains(t) && (st != status::OPEN || pinned_open.contains(t))
            })
            .map(|(t, _)| (*t, Vec::new())),
    );
    for (t, ms) in rest {
        write_topic(Some(t), None, &ms).update(&txn).await?;
        community.extend(community_rows(&settings, t, &ms, now_secs));
    }
    // Only memberships that changed are written: a run over an unchanged
    // street deletes and inserts nothing.
    let open: HashSet<i64> = open_ids.iter().copied().collect();
    let existing: HashMap<i64, (i64, Option<i64>)> = members
        .iter()
        .filter(|m| !m.pinned && open.contains(&m.topic_id))
        .map(|m| (m.opinion_id, (m.topic_id, m.copy_of)))
        .collect();
    let stale: Vec<i64> = existing
        .keys()
        .filter(|id| !desired.contains_key(id))
        .copied()
        .collect();
    let fresh: Vec<(i64, i64, Option<i64>)> = desired
        .iter()
        .filter(|(id, want)| existing.get(id) != Some(want))
        .map(|(id, (topic, copy_of))| (*id, *topic, *copy_of))
        .collect();
    write_members(&txn, &stale, &fresh).await?;
    for chunk in community.chunks(1_000) {
        topic_community::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    drop(_gate);
    let late: Vec<i64> = opinion::Entity::find()
        .select_only()
        .column(opinion::Column::Id)
        .filter(opinion::Column::Status.eq(opinion_status::PUBLISHED))
        .filter(opinion::Column::UpdatedAt.gte(snapshot_at - chrono::Duration::seconds(1)))
        .into_tuple()
        .all(&s.db)
        .await?;
    for chunk in late.chunks(2_000) {
        super::place(s, chunk, false).await?;
    }
    Ok(Recomputed {
        opinions: docs.len(),
        analysed,
        topics: groups.len(),
        new_topics,
        dissolved: dissolved.len(),
        idf_refresh: idf,
        millis: started.elapsed().as_millis(),
        read_millis,
        group_millis,
        store_millis: started.elapsed().as_millis() - read_millis - group_millis,
    })
}

/// Memberships per statement in [`write_members`].
const MEMBER_BATCH: usize = 5_000;

/// Removes the memberships of `stale` opinions (no longer in any group) and
/// writes `fresh` ones (opinion, topic, copy of), replacing an opinion's
/// earlier membership (never a staff placement). The first run over a new street changes nearly every
/// membership, so rows go as literal numbers, thousands per statement: every
/// value is an integer this code formats itself, so there is nothing to
/// quote, and neither database binds a parameter per value.
async fn write_members<C: ConnectionTrait>(
    conn: &C,
    stale: &[i64],
    fresh: &[(i64, i64, Option<i64>)],
) -> DomainResult<()> {
    use std::fmt::Write as _;
    for chunk in stale.chunks(MEMBER_BATCH) {
        let mut sql =
            String::from("DELETE FROM topic_member WHERE pinned = false AND opinion_id IN (");
        for (i, id) in chunk.iter().enumerate() {
            let _ = write!(sql, "{}{id}", if i > 0 { "," } else { "" });
        }
        sql.push(')');
        conn.execute_unprepared(&sql).await?;
    }
    for chunk in fresh.chunks(MEMBER_BATCH) {
        let mut sql = String::from(
            "INSERT INTO topic_member (opinion_id, topic_id, copy_of, pinned) VALUES ",
        );
        for (i, (opinion, topic, copy_of)) in chunk.iter().enumerate() {
            let _ = write!(sql, "{}({opinion},{topic},", if i > 0 { "," } else { "" });
            match copy_of {
                Some(c) => {
                    let _ = write!(sql, "{c},false)");
                }
                None => sql.push_str("NULL,false)"),
            }
        }
        sql.push_str(
            " ON CONFLICT (opinion_id) DO UPDATE SET topic_id = excluded.topic_id, \
             copy_of = excluded.copy_of WHERE topic_member.pinned = false",
        );
        conn.execute_unprepared(&sql).await?;
    }
    Ok(())
}
