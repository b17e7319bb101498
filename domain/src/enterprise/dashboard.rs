//! 经济数据驾驶舱: the street's economy for a period (the reports' period:
//! months or days, this year so far by default) — enterprises (total,
//! new, moved out), tax by building and the buildings above ¥10M / ¥100M,
//! leased and vacant area, the industry mix, requests received and closed
//! (with the average time to an answer), and policy pushes with how many
//! were opened. A fixed number of aggregate queries whatever the register's
//! size; drill-down links go to the register filtered; XLSX export.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::entities::{ent_push, ent_request, enterprise};
use crate::entities::{building, building_unit};
use crate::error::{DomainError, DomainResult};
use crate::reports::Period;
use crate::reports::export::{Cell, Section};
use crate::{Principal, Services};

/// ¥10M and ¥100M a year, in 万元.
pub const TAX_10M: f64 = 1_000.0;
pub const TAX_100M: f64 = 10_000.0;

/// One building's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BuildingFigures {
    pub id: i64,
    pub name: String,
    pub enterprises: i64,
    /// 万元 a year
    pub tax: f64,
    pub leased_area: f64,
    pub vacant_area: f64,
    pub unit_area: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dashboard {
    /// China calendar days, both included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub enterprises: i64,
    pub new: i64,
    pub moved_out: i64,
    pub tax: f64,
    pub buildings: Vec<BuildingFigures>,
    pub above_10m: usize,
    pub above_100m: usize,
    pub leased_area: f64,
    pub vacant_area: f64,
    /// (GB/T 4754 section letter, or `-` when unknown, enterprises).
    pub industries: Vec<(String, i64)>,
    pub requests: i64,
    pub requests_closed: i64,
    /// Average hours from a request to its answer.
    pub answer_hours: Option<f64>,
    pub pushes: i64,
    pub pushes_read: i64,
}

/// (building, enterprises, tax, leased area) as the aggregate gives them.
type PerBuilding = (Option<i64>, i64, Option<f64>, Option<f64>);

/// The dashboard for `period`, for street staff. Flows (new, moved out,
/// requests, pushes) are the period's; stock (enterprises, tax, area, the
/// industry mix) is the register as it stands.
pub async fn dashboard(s: &Services, actor: &Principal, period: Period) -> DomainResult<Dashboard> {
    super::require_street(actor)?;
    let (from, to) = (period.from, period.to);
    let (start, end) = (period.start(), period.end());
    let db = &s.db;
    let active = enterprise::Column::Status.eq("active");
    // 1. Per building: enterprises, tax, leased area.
    let per_building: Vec<PerBuilding> = enterprise::Entity::find()
        .select_only()
        .column(enterprise::Column::BuildingId)
        .column_as(Expr::col(enterprise::Column::Id).count(), "n")
        .column_as(Expr::col(enterprise::Column::AnnualTax).sum(), "tax")
        .column_as(Expr::col(enterprise::Column::LeasedArea).sum(), "area")
        .filter(active.clone())
        .group_by(enterprise::Column::BuildingId)
        .into_tuple()
        .all(db)
        .await?;
    // 2. The industry mix by section letter.
    // (Literal arguments, not parameters: PostgreSQL must see the grouped
    // expression and the selected one as the same.)
    let section = Func::cust("substr")
        .arg(Expr::col(enterprise::Column::IndustryCode))
        .arg(Expr::cust("1"))
        .arg(Expr::cust("1"));
    let industries: Vec<(Option<String>, i64)> = enterprise::Entity::find()
        .select_only()
        .column_as(Expr::expr(section), "section")
        .column_as(Expr::col(enterprise::Column::Id).count(), "n")
        .filter(active.clone())
        .group_by(Expr::cust("1"))
        .into_tuple()
        .all(db)
        .await?;
    // 3, 4. New (moved in) and moved out in the year.
    let count = |q: sea_orm::Select<enterprise::Entity>| async move {
        let n: Option<i64> = q
            .select_only()
            .column_as(Expr::col(enterprise::Column::Id).count(), "n")
            .into_tuple()
            .one(db)
            .await?;
        Ok::<i64, DomainError>(n.unwrap_or(0))
    };
    let new = count(
        enterprise::Entity::find()
            .filter(enterprise::Column::LeaseStart.gte(from))
            .filter(enterprise::Column::LeaseStart.lte(to)),
    )
    .await?;
    let moved_out = count(
        enterprise::Entity::find()
            .filter(enterprise::Column::Status.eq("moved_out"))
            .filter(enterprise::Column::MovedOutOn.gte(from))
            .filter(enterprise::Column::MovedOutOn.lte(to)),
    )
    .await?;
    // 5, 6. Units: all area and vacant area per building.
    let unit_sum = |vacant_only: bool| async move {
        let mut q = building_unit::Entity::find()
            .select_only()
            .column(building_unit::Column::BuildingId)
            .column_as(Expr::col(building_unit::Column::Area).sum(), "area")
            .group_by(building_unit::Column::BuildingId);
        if vacant_only {
            q = q.filter(building_unit::Column::Vacant.eq(true));
        }
        let rows: Vec<(i64, Option<f64>)> = q.into_tuple().all(db).await?;
        Ok::<BTreeMap<i64, f64>, DomainError>(
            rows.into_iter()
                .map(|(b, a)| (b, a.unwrap_or(0.0)))
                .collect(),
        )
    };
    let unit_area = unit_sum(false).await?;
    let vacant = unit_sum(true).await?;
    // 7. Buildings.
    let names = building::Entity::find().all(db).await?;
    // 8. Requests of the year: received, closed, answer times.
    type Times = (
        String,
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let reqs: Vec<Times> = ent_request::Entity::find()
        .select_only()
        .column(ent_request::Column::State)
        .column(ent_request::Column::CreatedAt)
        .column(ent_request::Column::AnsweredAt)
        .filter(ent_request::Column::CreatedAt.gte(start))
        .filter(ent_request::Column::CreatedAt.lt(end))
        .into_tuple()
        .all(db)
        .await?;
    // 9. Pushes of the year, and how many were opened.
    let pushes: Vec<(i64, i64)> = ent_push::Entity::find()
        .select_only()
        .column_as(Expr::col(ent_push::Column::Id).count(), "n")
        .column_as(Expr::col(ent_push::Column::ReadAt).count(), "r")
        .filter(ent_push::Column::At.gte(start))
        .filter(ent_push::Column::At.lt(end))
        .into_tuple()
        .all(db)
        .await?;
    let mut buildings: Vec<BuildingFigures> = names
        .iter()
        .map(|b| {
            let (n, tax, area) = per_building
                .iter()
                .find(|(id, ..)| *id == Some(b.id))
                .map(|(_, n, t, a)| (*n, t.unwrap_or(0.0), a.unwrap_or(0.0)))
                .unwrap_or((0, 0.0, 0.0));
            BuildingFigures {
                id: b.id,
                name: b.name.clone(),
                enterprises: n,
                tax,
                leased_area: area,
                vacant_area: vacant.get(&b.id).copied().unwrap_or(0.0),
                unit_area: unit_area.get(&b.id).copied().unwrap_or(0.0),
            }
        })
        .collect();
    buildings.sort_by(|a, b| b.tax.total_cmp(&a.tax));
    let enterprises: i64 = per_building.iter().map(|(_, n, ..)| n).sum();
    let tax: f64 = per_building
        .iter()
        .map(|(_, _, t, _)| t.unwrap_or(0.0))
        .sum();
    let answered: Vec<f64> = reqs
        .iter()
        .filter_map(|(_, c, a)| a.map(|a| (a - *c).num_minutes() as f64 / 60.0))
        .collect();
    let mut industries: Vec<(String, i64)> = industries
        .into_iter()
        .map(|(sec, n)| {
            let sec = sec
                .filter(|c| c.chars().all(|ch| ch.is_ascii_uppercase()) && !c.is_empty())
                .unwrap_or_else(|| "-".to_owned());
            (sec, n)
        })
        .fold(BTreeMap::<String, i64>::new(), |mut m, (k, n)| {
            *m.entry(k).or_default() += n;
            m
        })
        .into_iter()
        .collect();
    industries.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (pushes, pushes_read) = pushes.first().copied().unwrap_or((0, 0));
    Ok(Dashboard {
        from,
        to,
        enterprises,
        new,
        moved_out,
        tax,
        above_10m: buildings.iter().filter(|b| b.tax >= TAX_10M).count(),
        above_100m: buildings.iter().filter(|b| b.tax >= TAX_100M).count(),
        leased_area: buildings.iter().map(|b| b.leased_area).sum(),
        vacant_area: buildings.iter().map(|b| b.vacant_area).sum(),
        buildings,
        industries,
        requests: reqs.len() as i64,
        requests_closed: reqs.iter().filter(|(s, ..)| s != "open").count() as i64,
        answer_hours: (!answered.is_empty())
            .then(|| answered.iter().sum::<f64>() / answered.len() as f64),
        pushes,
        pushes_read,
    })
}

/// GB/T 4754 sections by letter.
pub fn section_name(letter: &str) -> &'static str {
    match letter {
        "A" => "农、林、牧、渔业",
        "B" => "采矿业",
        "C" => "制造业",
        "D" => "电力、热力、燃气及水",
        "E" => "建筑业",
        "F" => "批发和零售业",
        "G" => "交通运输、仓储和邮政业",
        "H" => "住宿和餐饮业",
        "I" => "信息传输、软件和信息技术服务业",
        "J" => "金融业",
        "K" => "房地产业",
        "L" => "租赁和商务服务业",
        "M" => "科学研究和技术服务业",
        "N" => "水利、环境和公共设施管理业",
        "O" => "居民服务、修理和其他服务业",
        "P" => "教育",
        "Q" => "卫生和社会工作",
        "R" => "文化、体育和娱乐业",
        "S" => "公共管理、社会保障和社会组织",
        "T" => "国际组织",
        _ => "未填行业",
    }
}

/// The dashboard as an XLSX workbook: the totals, buildings, industries.
pub fn xlsx(d: &Dashboard) -> DomainResult<Vec<u8>> {
    let n = |v: f64| Cell::Number((v * 10.0).round() / 10.0);
    let i = |v: i64| Cell::Number(v as f64);
    let totals = Section {
        name: "总览",
        header: vec!["指标", "数值"],
        rows: vec![
            vec!["起".into(), Cell::Day(d.from)],
            vec!["止".into(), Cell::Day(d.to)],
            vec!["在册企业".into(), i(d.enterprises)],
            vec!["新入驻".into(), i(d.new)],
            vec!["迁出".into(), i(d.moved_out)],
            vec!["年纳税（万元）".into(), n(d.tax)],
            vec!["纳税千万楼宇".into(), i(d.above_10m as i64)],
            vec!["纳税亿元楼宇".into(), i(d.above_100m as i64)],
            vec!["出租面积（㎡）".into(), n(d.leased_area)],
            vec!["空置面积（㎡）".into(), n(d.vacant_area)],
            vec!["收到诉求".into(), i(d.requests)],
            vec!["办结诉求".into(), i(d.requests_closed)],
            vec![
                "平均答复时长（小时）".into(),
                d.answer_hours.map_or(Cell::Empty, n),
            ],
            vec!["政策推送".into(), i(d.pushes)],
            vec!["推送已读".into(), i(d.pushes_read)],
        ],
    };
    let buildings = Section {
        name: "楼宇",
        header: vec![
            "楼宇",
            "企业数",
            "年纳税（万元）",
            "出租面积（㎡）",
            "空置面积（㎡）",
        ],
        rows: d
            .buildings
            .iter()
            .map(|b| {
                vec![
                    b.name.as_str().into(),
                    i(b.enterprises),
                    n(b.tax),
                    n(b.leased_area),
                    n(b.vacant_area),
                ]
            })
            .collect(),
    };
    let industries = Section {
        name: "产业类型",
        header: vec!["门类", "名称", "企业数"],
        rows: d
            .industries
            .iter()
            .map(|(k, c)| vec![k.as_str().into(), section_name(k).into(), i(*c)])
            .collect(),
    };
    crate::reports::export::workbook(&[totals, buildings, industries])
}
