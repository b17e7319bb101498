//! The demo's risk catalogue: eleven risk modules with four risk points
//! each (44 小切口), their departments, 95 warning models (two single-risk
//! models per point, plus absence and compound models), every demo
//! compound as a subject with a (fictional) responsible party's number,
//! and the demo's grid worker and department linked. Idempotent.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::entities::{risk_model, risk_subject};
use super::{Entry, SubjectInput};
use crate::error::DomainResult;
use crate::{Services, entities};

/// (key, name)
pub const DEPARTMENTS: &[(&str, &str)] = &[
    ("fire", "消防救援站"),
    ("gas", "燃气管理所"),
    ("police", "派出所"),
    ("market", "市场监管所"),
    ("safety", "应急管理办"),
    ("urban", "城管中队"),
    ("mediation", "综治中心"),
    ("civil", "民政办"),
    ("traffic", "交警中队"),
    ("water", "水利站"),
];

/// A module's four points: (key, name).
pub type Points = [(&'static str, &'static str); 4];

/// (module key, module name, department, points)
pub const MODULES: &[(&str, &str, &str, Points)] = &[
    (
        "fire",
        "消防安全",
        "fire",
        [
            ("fire_exit", "消防通道堵塞"),
            ("fire_alarm", "烟感报警"),
            ("fire_hydrant", "消火栓水压"),
            ("fire_store", "违规存放易燃物"),
        ],
    ),
    (
        "gas",
        "燃气安全",
        "gas",
        [
            ("gas_leak", "燃气泄漏"),
            ("gas_pressure", "管网压力异常"),
            ("gas_bottle", "瓶装燃气违规"),
            ("gas_kitchen", "餐饮后厨燃气"),
        ],
    ),
    (
        "ebike",
        "电动自行车",
        "urban",
        [
            ("ebike_charging", "飞线充电"),
            ("ebike_indoor", "电动车进楼入户"),
            ("ebike_battery", "电池过热"),
            ("ebike_pile", "充电桩故障"),
        ],
    ),
    (
        "rental",
        "群租房",
        "police",
        [
            ("rental_crowding", "群租人员密集"),
            ("rental_power", "群租用电异常"),
            ("rental_partition", "违规隔断"),
            ("rental_water", "群租用水异常"),
        ],
    ),
    (
        "dispute",
        "矛盾纠纷",
        "mediation",
        [
            ("dispute_neighbour", "邻里纠纷"),
            ("dispute_property", "物业纠纷"),
            ("dispute_wage", "欠薪纠纷"),
            ("dispute_repeat", "重复信访"),
        ],
    ),
    (
        "work",
        "安全生产",
        "safety",
        [
            ("work_site", "工地安全"),
            ("work_hazmat", "危化品存储"),
            ("work_lift", "电梯故障"),
            ("work_scaffold", "脚手架监测"),
        ],
    ),
    (
        "food",
        "食品安全",
        "market",
        [
            ("food_cold", "冷链温度"),
            ("food_license", "证照过期"),
            ("food_complaint", "食品投诉"),
            ("food_canteen", "食堂卫生"),
        ],
    ),
    (
        "traffic",
        "交通安全",
        "traffic",
        [
            ("traffic_jam", "路口拥堵"),
            ("traffic_parking", "违停占道"),
            ("traffic_accident", "事故多发点"),
            ("traffic_light", "信号灯故障"),
        ],
    ),
    (
        "flood",
        "防汛防台",
        "water",
        [
            ("flood_level", "积水水位"),
            ("flood_rain", "降雨量"),
            ("flood_pump", "泵站故障"),
            ("flood_basement", "地下车库进水"),
        ],
    ),
    (
        "care",
        "特殊人群关爱",
        "civil",
        [
            ("care_elderly", "独居老人无活动"),
            ("care_health", "健康监测异常"),
            ("care_visit", "走访超期"),
            ("care_mental", "心理援助"),
        ],
    ),
    (
        "order",
        "治安",
        "police",
        [
            ("order_theft", "盗窃警情"),
            ("order_gathering", "人员聚集"),
            ("order_camera", "监控离线"),
            ("order_door", "门禁异常"),
        ],
    ),
];

/// Points residents' opinions feed (Hongcha's own signal
/// `opinion.<point>`: the heat of the community's topics that name them).
pub const SIGNALS: &[(&str, &str)] = &[
    ("ebike_charging", "飞线充电 电动自行车"),
    ("fire_exit", "消防通道"),
    ("rental_crowding", "群租房"),
    ("gas_bottle", "燃气"),
    ("flood_level", "积水"),
    ("work_lift", "电梯"),
    ("traffic_parking", "停车难"),
    ("order_theft", "盗窃"),
];

/// Points whose level is urgent (a leak, a fire alarm) and those handled
/// by people without the machine's steps.
const URGENT: &[&str] = &["gas_leak", "fire_alarm", "flood_basement", "ebike_battery"];
const NORMAL: &[&str] = &[
    "work_hazmat",
    "rental_partition",
    "food_cold",
    "care_health",
    "dispute_wage",
    "traffic_light",
];

/// The models: per point a threshold on `<point>.level` and a count of
/// `<point>.event`; then quiet sensors and compound risks — 95 in all.
pub fn models() -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for (_, _, _, points) in MODULES {
        for (key, name) in points {
            let severity = if URGENT.contains(key) {
                "urgent"
            } else if NORMAL.contains(key) {
                "normal"
            } else {
                "low"
            };
            out.push((
                format!("{key}_level"),
                key.to_string(),
                format!("{name}（超阈值）"),
                format!(
                    r#"{{"rule":{{"kind":"threshold","indicator":"{key}.level","op":">","value":80,"hold":"0m","recover":60}},"severity":"{severity}","cooldown":"1h"}}"#
                ),
            ));
            out.push((
                format!("{key}_events"),
                key.to_string(),
                format!("{name}（频发）"),
                format!(
                    r#"{{"rule":{{"kind":"count","indicator":"{key}.event","window":"1d","min":3,"above":0}},"severity":"low","cooldown":"6h"}}"#
                ),
            ));
        }
    }
    // Systemic: 飞线充电 warnings in one community at twice its usual weekly
    // count (and at least three).
    out.push((
        "ebike_systemic".into(),
        "ebike_charging".into(),
        "社区飞线充电预警密集".into(),
        r#"{"rule":{"kind":"systemic","area":"community","models":["ebike_charging_level","ebike_charging_events"],"window":"7d","baseline":"28d","factor":2,"min":3},"severity":"normal","cooldown":"7d"}"#.into(),
    ));
    // Residents raising a matter hotly: a community's topics about 飞线充电.
    out.push((
        "ebike_opinion".into(),
        "ebike_charging".into(),
        "居民热议飞线充电".into(),
        r#"{"rule":{"kind":"threshold","indicator":"opinion.ebike_charging","op":">=","value":5,"recover":2},"severity":"normal","cooldown":"7d"}"#.into(),
    ));
    for (key, point, name) in [
        ("order_camera_quiet", "order_camera", "监控长时间无数据"),
        ("care_elderly_quiet", "care_elderly", "独居老人水电无活动"),
    ] {
        let ind = format!("{point}.heartbeat");
        out.push((
            key.into(),
            point.into(),
            name.into(),
            format!(r#"{{"rule":{{"kind":"absence","indicator":"{ind}","after":"12h"}},"severity":"low","cooldown":"1d"}}"#),
        ));
    }
    for (key, point, name, need, models) in [
        (
            "rental_fire_compound",
            "rental_crowding",
            "群租叠加消防隐患",
            "all",
            r#"["rental_crowding_level","fire_exit_level"]"#,
        ),
        (
            "ebike_fire_compound",
            "ebike_charging",
            "飞线充电叠加烟感报警",
            "all",
            r#"["ebike_charging_level","fire_alarm_events"]"#,
        ),
        (
            "gas_kitchen_compound",
            "gas_kitchen",
            "后厨燃气叠加证照过期",
            "all",
            r#"["gas_kitchen_level","food_license_level"]"#,
        ),
    ] {
        out.push((
            key.into(),
            point.into(),
            name.into(),
            format!(r#"{{"rule":{{"kind":"compound","need":"{need}","models":{models},"within":"1d"}},"severity":"normal","cooldown":"1d"}}"#),
        ));
    }
    out
}

/// Loads the catalogue, models and subjects (once), and links the demo's
/// department account (13800000005) to 城管中队.
pub async fn seed(s: &Services) -> DomainResult<()> {
    if risk_model::Entity::find().count(&s.db).await? == 0 {
        let (_gate, txn) = s.begin_write().await?;
        for (key, name) in DEPARTMENTS {
            super::save_entry_in(
                &txn,
                None,
                Entry::Department {
                    key: (*key).into(),
                    name: (*name).into(),
                },
            )
            .await?;
        }
        for (i, (key, name, department, points)) in MODULES.iter().enumerate() {
            super::save_entry_in(
                &txn,
                None,
                Entry::Module {
                    key: (*key).into(),
                    name: (*name).into(),
                    sort: i as i32,
                },
            )
            .await?;
            for (pk, pn) in points {
                super::save_entry_in(
                    &txn,
                    None,
                    Entry::Point {
                        key: (*pk).into(),
                        module: (*key).into(),
                        name: (*pn).into(),
                        department: Some((*department).into()),
                        terms: SIGNALS
                            .iter()
                            .find(|(k, _)| k == pk)
                            .map(|(_, t)| (*t).to_owned()),
                    },
                )
                .await?;
            }
        }
        for (key, point, name, spec) in models() {
            super::save_model_in(&txn, None, &key, &point, &name, &spec, "live").await?;
        }
        if let Some(a) = entities::account::Entity::find()
            .filter(entities::account::Column::Phone.eq("13800000005"))
            .one(&txn)
            .await?
        {
            super::save_entry_in(
                &txn,
                None,
                Entry::Member {
                    department: "urban".into(),
                    account_id: a.id,
                    member: true,
                },
            )
            .await?;
        }
        txn.commit().await?;
    }
    if risk_subject::Entity::find().count(&s.db).await? == 0 {
        let compounds = entities::compound::Entity::find().all(&s.db).await?;
        let (_gate, txn) = s.begin_write().await?;
        for (i, c) in compounds.iter().enumerate() {
            super::save_subject_in(
                &txn,
                None,
                SubjectInput {
                    code: format!("compound-{}", c.id),
                    kind: "compound".into(),
                    name: c.name.clone(),
                    community_id: Some(c.community_id),
                    compound_id: Some(c.id),
                    industry: None,
                    // The first compound's property company (a demo account)
                    // answers for it: it sees its warnings on /risk/mine.
                    contact_phone: Some(if i == 0 {
                        "13800000006".to_owned()
                    } else {
                        format!("1390000{:04}", i + 1)
                    }),
                },
            )
            .await?;
        }
        txn.commit().await?;
    }
    if super::portrait::outlines(s).await?.is_empty() {
        let geojson = super::portrait::demo_outlines(&s.db).await?;
        super::portrait::set_outlines(s, None, &geojson).await?;
    }
    Ok(())
}

/// A few warnings so the overview and the cases show something after the
/// README's run command: an urgent gas leak at the grid worker's compound,
/// machine-handled ones elsewhere (`hongcha seed-demo`; once).
pub async fn seed_warnings(s: &Services) -> DomainResult<()> {
    if super::entities::risk_warning::Entity::find()
        .count(&s.db)
        .await?
        == 0
    {
        let codes: Vec<String> = risk_subject::Entity::find()
            .all(&s.db)
            .await?
            .into_iter()
            .map(|x| x.code)
            .collect();
        if codes.len() >= 3 {
            let (_, token) = super::create_source(s, None, "演示物联感知平台", "readings").await?;
            let at = crate::clock::now() - chrono::Duration::minutes(3);
            let readings: Vec<serde_json::Value> = [
                (0, "gas_leak", 96.0),
                (0, "ebike_charging", 92.0),
                (1, "fire_exit", 88.0),
                (2, "rental_crowding", 90.0),
                (2, "food_cold", 85.0),
            ]
            .iter()
            .map(|(i, point, value)| {
                serde_json::json!({
                    "id": format!("demo-{point}-{i}"),
                    "subject": codes[*i],
                    "indicator": format!("{point}.level"),
                    "value": value,
                    "at": at.to_rfc3339(),
                })
            })
            .collect();
            super::ingest::ingest(s, &token, &readings).await?;
        }
    }
    Ok(())
}
